import { Aws, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  buildClusterConfig,
  checkClusterConfig,
  clusterName,
  FSX_CHECKPOINTS_PATH,
  FSX_DATASETS_PATH,
  FSX_MOUNT_DIR,
} from '../cluster/cluster-config';
import { FsxExportOnDelete } from '../cluster/fsx-export-on-delete';
import { MetricsAgent } from '../cluster/metrics-agent';
import { NeuronEnvironment } from '../cluster/neuron-environment';
import { nodePolicy } from '../cluster/node-policy';
import { NodeSetupScript } from '../cluster/node-setup-script';
import { ParallelCluster } from '../cluster/parallel-cluster';
import { TrainingBundle } from '../cluster/training-bundle';
import { CptConfig } from '../config/schema';
import { secretArnForPolicies } from '../data/hugging-face-secret';
import { stackNames } from '../stack-names';

export interface ClusterStackProps extends StackProps {
  readonly config: CptConfig;
  readonly vpc: ec2.IVpc;
  readonly headSubnet: ec2.ISubnet;
  readonly computeSubnet: ec2.ISubnet;
  readonly efaSecurityGroup: ec2.ISecurityGroup;
  readonly datasetsBucket: s3.IBucket;
  readonly checkpointsBucket: s3.IBucket;
  /** Secret of the Hugging Face token: the prepare stage downloads the base model with it. */
  readonly hfTokenSecret: secretsmanager.ISecret;
  /** Lets ParallelCluster's provider link FSx to the two buckets (DataStack.fsxLinkingPolicy). */
  readonly fsxLinkingPolicy: iam.IManagedPolicy;
}

/** The Slurm cluster of Trainium nodes, with FSx for Lustre linked to the datasets and checkpoints buckets. */
export class ClusterStack extends Stack {
  readonly cluster: ParallelCluster;
  /** Where the training scripts are on the cluster's FSx. */
  readonly trainingBundleDir: string;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    const { config } = props;

    const script = new NodeSetupScript(this, 'NodeSetup', { neuronRelease: config.neuronSdkVersion });
    const bundle = new TrainingBundle(this, 'TrainingBundle');
    const trainingPolicy = nodePolicy(this, 'TrainingNodePolicy', {
      description: 'Trainium nodes of the cluster: read the Hugging Face token for the prepare stage',
      statements: [
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secretArnForPolicies(props.hfTokenSecret)],
        }),
      ],
    });
    const name = clusterName(config);
    const region = config.region ?? Aws.REGION;
    const agent = new MetricsAgent(this, 'MetricsAgent', { clusterName: name, region });
    const configuration = buildClusterConfig(config, {
      headSubnetId: props.headSubnet.subnetId,
      computeSubnetId: props.computeSubnet.subnetId,
      vpcCidr: props.vpc.vpcCidrBlock,
      efaSecurityGroupId: props.efaSecurityGroup.securityGroupId,
      datasetsBucketName: props.datasetsBucket.bucketName,
      checkpointsBucketName: props.checkpointsBucket.bucketName,
      nodeSetupScript: { bucketName: script.asset.s3BucketName, objectKey: script.asset.s3ObjectKey },
      trainingBundle: { bucketName: bundle.asset.s3BucketName, objectKey: bundle.asset.s3ObjectKey },
      metricsAgent: { bucketName: agent.asset.s3BucketName, objectKey: agent.asset.s3ObjectKey },
      partition: Aws.PARTITION,
      trainingPolicyArn: trainingPolicy.managedPolicyArn,
      headNodePolicyArn: agent.policy.managedPolicyArn,
    });
    checkClusterConfig(configuration, name, Object.values(stackNames(config)));

    this.cluster = new ParallelCluster(this, 'ParallelCluster', {
      version: config.parallelClusterVersion,
      clusterName: name,
      configuration,
      providerPolicies: [props.fsxLinkingPolicy],
    });
    // `cdk destroy` flushes FSx to S3 before the cluster (and its file system) is deleted.
    new FsxExportOnDelete(this, 'FsxExportOnDelete', { cluster: this.cluster, configuration });
    bundle.unpackOn(this.cluster.headNodeInstanceId);
    agent.installOn(this.cluster.headNodeInstanceId);
    // After creation, not in the head node's bootstrap: the custom resource must finish within the hour.
    new NeuronEnvironment(this, 'NeuronEnvironment', {
      neuronRelease: config.neuronSdkVersion,
      nodeSetupScript: script.asset,
    }).buildOn(this.cluster.headNodeInstanceId);
    this.trainingBundleDir = bundle.dir;

    new CfnOutput(this, 'ClusterName', {
      value: name,
      description: 'ParallelCluster cluster name (pcluster commands)',
    });
    new CfnOutput(this, 'HeadNodeInstanceId', { value: this.cluster.headNodeInstanceId });
    new CfnOutput(this, 'SsmSessionCommand', {
      value: `aws ssm start-session --target ${this.cluster.headNodeInstanceId} --region ${region}`,
      description: 'Shell on the head node through SSM Session Manager (no SSH needed)',
    });
    new CfnOutput(this, 'FsxMountPoint', {
      value: FSX_MOUNT_DIR,
      description: `FSx for Lustre on every node: ${FSX_MOUNT_DIR}${FSX_DATASETS_PATH} (datasets bucket), ${FSX_MOUNT_DIR}${FSX_CHECKPOINTS_PATH} (checkpoints bucket)`,
    });
  }
}
