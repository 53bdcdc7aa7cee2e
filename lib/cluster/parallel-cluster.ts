import { Annotations, CfnStack, CustomResource, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { PclusterConfig } from './cluster-config';

export interface ParallelClusterProps {
  /** ParallelCluster version of the provider (and so of the cluster), such as 3.16.1. */
  readonly version: string;
  /** Cluster name: cannot change once created, must differ from the stack's name. */
  readonly clusterName: string;
  /** The cluster configuration, as `pcluster create-cluster` takes it (tokens are fine). */
  readonly configuration: PclusterConfig;
  /**
   * What the provider's role needs beyond ParallelCluster's own policies: linking FSx to our buckets (the provider
   * creates the data repository associations with its own role, which ParallelCluster's template lets reach no bucket
   * of ours). Never the nodes' policies.
   */
  readonly providerPolicies: iam.IManagedPolicy[];
  /**
   * What happens to the cluster when the resource is deleted.
   * @default 'Delete'
   */
  readonly deletionPolicy?: 'Delete' | 'Retain';
}

/**
 * An AWS ParallelCluster cluster through its official CloudFormation custom resource: the provider is a nested stack
 * from ParallelCluster's own template of that version, in the same stack as the cluster so that CloudFormation
 * deletes the cluster before the provider.
 *
 * No `ServiceTimeout` is set on the cluster resource, on purpose: the provider passes every property other than
 * ServiceToken and DeletionPolicy to `pcluster create-cluster` as an argument, and an unknown one fails the call
 * (cloudformation/custom_resource/cluster.yaml and cli/src/pcluster/lib/lib.py of aws/aws-parallelcluster).
 * CloudFormation's default of one hour applies; with no static nodes, a cluster is created well within it. A Capacity
 * Block's static nodes are the exception: see staticFleetWarning.
 *
 * The provider's Lambda role has ParallelCluster's own policies (cloudformation/policies/parallelcluster-policies.yaml
 * with EnableIamAdminAccess) plus `providerPolicies`, which this construct passes as the provider's
 * AdditionalIamPolicies: nothing else. The node policies are not passed there (that would give the provider the nodes'
 * rights and still not the right to attach them): they live under NODE_POLICY_PATH, which the admin policy may attach.
 */
export class ParallelCluster extends Construct {
  readonly clusterName: string;
  /** EC2 instance ID of the head node (a token). */
  readonly headNodeInstanceId: string;
  /** Private IP address of the head node (a token). */
  readonly headNodePrivateIp: string;
  /** The Custom::PclusterCluster resource: what must be deleted after anything that still needs the cluster. */
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ParallelClusterProps) {
    super(scope, id);
    const provider = new CfnStack(this, 'Provider', {
      templateUrl: Fn.sub(
        'https://${AWS::Region}-aws-parallelcluster.s3.${AWS::Region}.${AWS::URLSuffix}/parallelcluster/${Version}/templates/custom_resource/cluster.yaml',
        { Version: props.version },
      ),
      parameters: {
        AdditionalIamPolicies: Fn.join(
          ',',
          props.providerPolicies.map((policy) => policy.managedPolicyArn),
        ),
      },
    });

    this.resource = new CustomResource(this, 'Cluster', {
      serviceToken: provider.getAtt('Outputs.ServiceToken').toString(),
      resourceType: 'Custom::PclusterCluster',
      properties: {
        ClusterName: props.clusterName,
        ClusterConfiguration: props.configuration,
        DeletionPolicy: props.deletionPolicy ?? 'Delete',
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const warning = staticFleetWarning(props.configuration);
    if (warning) Annotations.of(this).addWarningV2('trainium-cpt:capacity-block-static-nodes', warning);

    this.clusterName = props.clusterName;
    this.headNodeInstanceId = this.resource.getAttString('headNode.instanceId');
    this.headNodePrivateIp = this.resource.getAttString('headNode.privateIpAddress');
  }
}

/**
 * With static nodes, the head node signals CloudFormation only when every static node is up, or in a Slurm
 * maintenance reservation (`wait_static_fleet_running` in aws-parallelcluster-cookbook
 * cookbooks/aws-parallelcluster-slurm/libraries/helpers.rb and is_fleet_ready.erb, which skips nodes in `maint`;
 * read at 3.11.0, the mirror's version: the 3.8.0 changelog says "Do not wait for static nodes in maintenance").
 * ParallelCluster puts the nodes of a Capacity Block that is not active yet in such a reservation (clustermgtd,
 * aws-parallelcluster-node src/slurm_plugin/capacity_block_manager.py, read at 3.11.1). So a cluster created before
 * its block starts is done in the usual time; on an active block, creation waits for every node to launch and run
 * its set-up (the Neuron driver), within the head node's 35-minute bootstrap timeout and CloudFormation's hour.
 */
function staticFleetWarning(configuration: PclusterConfig): string | undefined {
  const blocks = configuration.Scheduling.SlurmQueues.filter((queue) => queue.CapacityType === 'CAPACITY_BLOCK');
  if (blocks.length === 0) return undefined;
  const nodes = blocks.flatMap((queue) => queue.ComputeResources).reduce((sum, r) => sum + r.MinCount, 0);
  return (
    `The cluster runs ${nodes} static nodes in a Capacity Block: deploy the cluster stack before the block starts. ` +
    'Until then ParallelCluster keeps the nodes in a Slurm maintenance reservation and creation does not wait for ' +
    'them; on an active block, the head node waits for every node to launch and set itself up, which must fit in ' +
    "its 35-minute bootstrap timeout and CloudFormation's hour, or the creation fails and rolls back."
  );
}
