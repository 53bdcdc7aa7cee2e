import { CptConfig } from '../config/schema';
import { DATASETS_PREFIX } from '../data/job-arguments';
import { PROJECT_TAG_KEY } from '../shared/project-tag';
import { queueCapacity, queueCapacityProblems } from './queue-capacity';

/**
 * A pure, typed builder of the AWS ParallelCluster 3 cluster configuration (the YAML of `pcluster create-cluster`,
 * as an object for the CloudFormation custom resource). Schema: aws/aws-parallelcluster
 * cli/src/pcluster/schemas/cluster_schema.py; the tests load what this returns with that schema.
 */

/** The Slurm queue of Trainium nodes. Queue names: lowercase, at most 25 characters. */
export const QUEUE_NAME = 'trn';
/** Where FSx for Lustre is mounted on every node, and the folders its data repository associations link to S3. */
export const FSX_MOUNT_DIR = '/fsx';
export const FSX_DATASETS_PATH = '/datasets';
export const FSX_CHECKPOINTS_PATH = '/checkpoints';
/** S3 prefixes of the associations: the datasets prefix is the one the tokenization job writes. */
export const DATASETS_S3_PREFIX = DATASETS_PREFIX.replace(/\/$/, '');
export const CHECKPOINTS_S3_PREFIX = 'checkpoints';
/** Neuron asks for a root volume of at least 512 GB on trn1 (compiler cache, checkpoints being converted). */
export const COMPUTE_ROOT_VOLUME_GIB = 512;
export const HEAD_ROOT_VOLUME_GIB = 200;
/** Idle Trainium nodes cost about $25 an hour each: give them back after 10 idle minutes. */
export const SCALEDOWN_IDLE_MINUTES = 10;
export const SSM_MANAGED_POLICY = 'AmazonSSMManagedInstanceCore';

/** Everything the configuration needs that the app makes elsewhere (tokens are fine). */
export interface ClusterResources {
  readonly headSubnetId: string;
  readonly computeSubnetId: string;
  /** CIDR of the VPC: SSH stays inside it unless the config opens it to one range. */
  readonly vpcCidr: string;
  readonly efaSecurityGroupId: string;
  readonly datasetsBucketName: string;
  readonly checkpointsBucketName: string;
  /** The node set-up script (an object of the CDK assets bucket). */
  readonly nodeSetupScript: { readonly bucketName: string; readonly objectKey: string };
  /** The zipped training scripts, which the head node unpacks on FSx (an object of the CDK assets bucket). */
  readonly trainingBundle: { readonly bucketName: string; readonly objectKey: string };
  /** The zipped metrics agent, which the head node installs (an object of the CDK assets bucket). */
  readonly metricsAgent: { readonly bucketName: string; readonly objectKey: string };
  /** ARN partition, for the managed policy ARN (a token: `${AWS::Partition}`). */
  readonly partition: string;
  /** Policy of what training jobs need beyond S3 (reading the Hugging Face token), for the Trainium nodes; like
   * headNodePolicyArn, under NODE_POLICY_PATH (node-policy.ts), or ParallelCluster's provider cannot attach it. */
  readonly trainingPolicyArn: string;
  /** Policy of what the head node needs beyond S3 (publishing the run's metrics to CloudWatch). */
  readonly headNodePolicyArn: string;
}

/** Prefixes of the checkpoints bucket that training jobs write (exported models, evaluation reports). */
export const EXPORTS_S3_PREFIX = 'exports';
export const REPORTS_S3_PREFIX = 'reports';

type ClusterSettings = Pick<
  CptConfig,
  | 'projectName'
  | 'instanceType'
  | 'capacityType'
  | 'capacityReservationId'
  | 'reservationPlacementGroup'
  | 'nodeCount'
  | 'headNodeInstanceType'
  | 'neuronSdkVersion'
  | 'fsxStorageGiB'
  | 'fsxThroughputPerTiB'
  | 'sshKeyName'
  | 'sshAllowedCidr'
>;

export interface S3Access {
  readonly BucketName: string;
  readonly KeyName?: string;
  readonly EnableWriteAccess?: boolean;
}

interface CustomActions {
  readonly OnNodeConfigured: { readonly Script: string; readonly Args: string[] };
}

/** ParallelCluster's queue CapacityType (pcluster/config/common.py, CapacityType). */
export type PclusterCapacityType = 'ONDEMAND' | 'SPOT' | 'CAPACITY_BLOCK';

/** A queue's placement group: ParallelCluster's own (managed) when Enabled without a Name, else the named one. */
export interface PlacementGroupSetting {
  readonly Enabled: boolean;
  readonly Name?: string;
}

interface NodeIam {
  readonly AdditionalIamPolicies: Array<{ readonly Policy: string }>;
  readonly S3Access: S3Access[];
}

/** The part of ParallelCluster's cluster configuration this app writes. */
export interface PclusterConfig {
  readonly Image: { readonly Os: 'ubuntu2204' };
  readonly Imds: { readonly ImdsSupport: 'v2.0' };
  readonly HeadNode: {
    readonly InstanceType: string;
    readonly Networking: { readonly SubnetId: string };
    readonly Ssh: { readonly KeyName?: string; readonly AllowedIps: string };
    readonly LocalStorage: { readonly RootVolume: { readonly Size: number; readonly Encrypted: boolean } };
    readonly Iam: NodeIam;
    readonly Imds: { readonly Secured: boolean };
  };
  readonly Scheduling: {
    readonly Scheduler: 'slurm';
    readonly SlurmSettings: { readonly QueueUpdateStrategy: 'DRAIN' | 'TERMINATE'; readonly ScaledownIdletime: number };
    readonly SlurmQueues: Array<{
      readonly Name: string;
      readonly CapacityType: PclusterCapacityType;
      readonly JobExclusiveAllocation: boolean;
      readonly ComputeResources: Array<{
        readonly Name: string;
        readonly InstanceType: string;
        readonly MinCount: number;
        readonly MaxCount: number;
        readonly Efa: { readonly Enabled: boolean };
        readonly CapacityReservationTarget?: { readonly CapacityReservationId: string };
      }>;
      readonly Networking: {
        readonly SubnetIds: string[];
        readonly PlacementGroup: PlacementGroupSetting;
        readonly AdditionalSecurityGroups: string[];
      };
      readonly ComputeSettings: {
        readonly LocalStorage: { readonly RootVolume: { readonly Size: number; readonly Encrypted: boolean } };
      };
      readonly Iam: NodeIam;
      readonly CustomActions: CustomActions;
    }>;
  };
  readonly SharedStorage: Array<{
    readonly Name: string;
    readonly StorageType: 'FsxLustre';
    readonly MountDir: string;
    readonly FsxLustreSettings: {
      readonly DeploymentType: 'PERSISTENT_2';
      readonly StorageCapacity: number;
      readonly PerUnitStorageThroughput: number;
      readonly DataCompressionType: 'LZ4';
      readonly DeletionPolicy: 'Delete';
      readonly DataRepositoryAssociations: Array<{
        readonly Name: string;
        readonly BatchImportMetaDataOnCreate: boolean;
        readonly DataRepositoryPath: string;
        readonly FileSystemPath: string;
        readonly AutoImportPolicy: string[];
        readonly AutoExportPolicy?: string[];
      }>;
    };
  }>;
  readonly Monitoring: {
    readonly DetailedMonitoring: boolean;
    readonly Logs: {
      readonly CloudWatch: {
        readonly Enabled: boolean;
        readonly RetentionInDays: number;
        readonly DeletionPolicy: 'Delete';
      };
    };
    readonly Dashboards: { readonly CloudWatch: { readonly Enabled: boolean } };
  };
  readonly Tags: Array<{ readonly Key: string; readonly Value: string }>;
}

/** The cluster's name: stable (ParallelCluster cannot rename a cluster) and unlike any stack name of the app. */
export function clusterName(config: Pick<CptConfig, 'projectName'>): string {
  return `${config.projectName}-pcluster`;
}

/** A compute resource per instance type: trn1n.32xlarge → trn1n-32xlarge. */
export function computeResourceName(instanceType: string): string {
  return instanceType.replace(/\./g, '-');
}

/** AWS managed policies the configuration attaches (one of those ParallelCluster's provider may attach). */
export function managedPolicyArns(partition: string): string[] {
  return [`arn:${partition}:iam::aws:policy/${SSM_MANAGED_POLICY}`];
}

export function buildClusterConfig(config: ClusterSettings, resources: ClusterResources): PclusterConfig {
  const script = `s3://${resources.nodeSetupScript.bucketName}/${resources.nodeSetupScript.objectKey}`;
  // Trainium nodes install the Neuron driver at every launch. The head node has no such action, and no DevSettings
  // raise its bootstrap timeout above ParallelCluster's default (2,100 s in 3.16.1): the custom resource must finish
  // within CloudFormation's hour, FSx (10-20 minutes) included. Its part, the Neuron Python environment, is built
  // after creation by an SSM association (lib/cluster/neuron-environment.ts).
  const computeNodeConfigured: CustomActions = {
    OnNodeConfigured: { Script: script, Args: ['compute', config.neuronSdkVersion] },
  };
  const scriptAccess: S3Access = {
    BucketName: resources.nodeSetupScript.bucketName,
    KeyName: resources.nodeSetupScript.objectKey,
  };
  // The head node fetches the node set-up script (for the Neuron environment's service), unpacks the training
  // bundle and installs the metrics agent, which publishes to CloudWatch.
  const headIam: NodeIam = {
    AdditionalIamPolicies: [...managedPolicyArns(resources.partition), resources.headNodePolicyArn].map((Policy) => ({
      Policy,
    })),
    S3Access: [
      scriptAccess,
      { BucketName: resources.trainingBundle.bucketName, KeyName: resources.trainingBundle.objectKey },
      { BucketName: resources.metricsAgent.bucketName, KeyName: resources.metricsAgent.objectKey },
    ],
  };
  // The training jobs run on the Trainium nodes: prepare reads the token, export and evaluate write their results.
  const computeIam: NodeIam = {
    AdditionalIamPolicies: [...managedPolicyArns(resources.partition), resources.trainingPolicyArn].map((Policy) => ({
      Policy,
    })),
    S3Access: [
      scriptAccess,
      ...[EXPORTS_S3_PREFIX, REPORTS_S3_PREFIX].map((prefix) => ({
        BucketName: resources.checkpointsBucketName,
        KeyName: `${prefix}/*`,
        EnableWriteAccess: true,
      })),
    ],
  };
  const capacity = queueCapacity(config);
  return {
    Image: { Os: 'ubuntu2204' },
    Imds: { ImdsSupport: 'v2.0' },
    HeadNode: {
      InstanceType: config.headNodeInstanceType,
      Networking: { SubnetId: resources.headSubnetId },
      // ParallelCluster opens port 22 to AllowedIps (0.0.0.0/0 by default) even without a key: keep it in the VPC.
      Ssh: config.sshKeyName
        ? { KeyName: config.sshKeyName, AllowedIps: config.sshAllowedCidr as string }
        : { AllowedIps: resources.vpcCidr },
      LocalStorage: { RootVolume: { Size: HEAD_ROOT_VOLUME_GIB, Encrypted: true } },
      Iam: headIam,
      Imds: { Secured: true },
    },
    Scheduling: {
      Scheduler: 'slurm',
      // The custom resource does not stop the fleet before an update: drain the queue instead of failing (static
      // nodes of a Capacity Block too: a replacement waits for the running job). ScaledownIdletime applies to
      // dynamic nodes only (queue-capacity.ts).
      SlurmSettings: { QueueUpdateStrategy: 'DRAIN', ScaledownIdletime: SCALEDOWN_IDLE_MINUTES },
      SlurmQueues: [
        {
          Name: QUEUE_NAME,
          CapacityType: capacity.capacityType,
          JobExclusiveAllocation: true,
          ComputeResources: [
            {
              Name: computeResourceName(config.instanceType),
              InstanceType: config.instanceType,
              // Dynamic nodes except in a Capacity Block, whose nodes ParallelCluster keeps static (queue-capacity.ts).
              MinCount: capacity.minCount,
              MaxCount: capacity.maxCount,
              Efa: { Enabled: true },
              ...(capacity.capacityReservationId
                ? { CapacityReservationTarget: { CapacityReservationId: capacity.capacityReservationId } }
                : {}),
            },
          ],
          // EFA needs one subnet and a placement group, or a capacity reservation's own placement.
          Networking: {
            SubnetIds: [resources.computeSubnetId],
            PlacementGroup: capacity.placementGroup,
            AdditionalSecurityGroups: [resources.efaSecurityGroupId],
          },
          ComputeSettings: { LocalStorage: { RootVolume: { Size: COMPUTE_ROOT_VOLUME_GIB, Encrypted: true } } },
          Iam: computeIam,
          CustomActions: computeNodeConfigured,
        },
      ],
    },
    SharedStorage: [
      {
        Name: 'fsx',
        StorageType: 'FsxLustre',
        MountDir: FSX_MOUNT_DIR,
        FsxLustreSettings: {
          DeploymentType: 'PERSISTENT_2',
          StorageCapacity: config.fsxStorageGiB,
          PerUnitStorageThroughput: config.fsxThroughputPerTiB,
          DataCompressionType: 'LZ4',
          // The file system is a cache of S3: datasets come from it, checkpoints go back to it as they are written.
          DeletionPolicy: 'Delete',
          DataRepositoryAssociations: [
            {
              Name: 'datasets',
              BatchImportMetaDataOnCreate: true,
              DataRepositoryPath: `s3://${resources.datasetsBucketName}/${DATASETS_S3_PREFIX}`,
              FileSystemPath: FSX_DATASETS_PATH,
              AutoImportPolicy: ['NEW', 'CHANGED', 'DELETED'],
            },
            {
              Name: 'checkpoints',
              BatchImportMetaDataOnCreate: true,
              DataRepositoryPath: `s3://${resources.checkpointsBucketName}/${CHECKPOINTS_S3_PREFIX}`,
              FileSystemPath: FSX_CHECKPOINTS_PATH,
              // Never DELETED: pruning old checkpoints on FSx must not delete them from S3.
              AutoExportPolicy: ['NEW', 'CHANGED'],
              AutoImportPolicy: ['NEW', 'CHANGED'],
            },
          ],
        },
      },
    ],
    Monitoring: {
      DetailedMonitoring: false,
      Logs: { CloudWatch: { Enabled: true, RetentionInDays: 30, DeletionPolicy: 'Delete' } },
      Dashboards: { CloudWatch: { Enabled: true } },
    },
    // The project's cost allocation tag: ParallelCluster puts these on its stack (so on FSx), the head node and the
    // compute launch templates. Stable: ParallelCluster fails an update that changes tags and configuration at once.
    Tags: [{ Key: PROJECT_TAG_KEY, Value: config.projectName }],
  };
}

/**
 * Rules that ParallelCluster's schema and validators enforce, checked here so that a bad value fails `cdk synth`
 * with a clear message instead of a deployment an hour later.
 */
export function checkClusterConfig(pcluster: PclusterConfig, name: string, stackNames: readonly string[]): void {
  const problems: string[] = [];
  if (!/^[a-zA-Z][a-zA-Z0-9-]{0,59}$/.test(name)) {
    problems.push(
      `cluster name "${name}": must start with a letter, hold only letters, digits and hyphens, at most 60 characters`,
    );
  }
  if (stackNames.includes(name))
    problems.push(`cluster name "${name}": must differ from the stack names (${stackNames.join(', ')})`);
  for (const queue of pcluster.Scheduling.SlurmQueues) {
    if (!/^[a-z][a-z0-9-]{0,24}$/.test(queue.Name))
      problems.push(`queue "${queue.Name}": lowercase, at most 25 characters`);
    const efa = queue.ComputeResources.some((r) => r.Efa.Enabled);
    if (efa && queue.Networking.SubnetIds.length !== 1)
      problems.push(`queue "${queue.Name}": EFA needs exactly one subnet`);
    problems.push(...queueCapacityProblems(queue));
    if (queue.ComputeSettings.LocalStorage.RootVolume.Size < COMPUTE_ROOT_VOLUME_GIB) {
      problems.push(`queue "${queue.Name}": Neuron needs a root volume of at least ${COMPUTE_ROOT_VOLUME_GIB} GB`);
    }
  }
  for (const storage of pcluster.SharedStorage) {
    const { StorageCapacity: size, DataRepositoryAssociations: associations } = storage.FsxLustreSettings;
    if (size !== 1200 && size % 2400 !== 0)
      problems.push(`FSx "${storage.Name}": ${size} GiB is not 1200 or a multiple of 2400`);
    if (associations.length > 8) problems.push(`FSx "${storage.Name}": at most 8 data repository associations`);
  }
  if (problems.length > 0) throw new Error(`Invalid ParallelCluster configuration:\n  - ${problems.join('\n  - ')}`);
}
