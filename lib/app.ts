import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CptConfig } from './config/schema';
import { BudgetLimits, budgetLimits, PlanError } from './plan/estimate';
import { ClusterStack } from './stacks/cluster-stack';
import { DataStack } from './stacks/data-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { PROJECT_TAG_KEY } from './shared/project-tag';
import { stackNames } from './stack-names';
import { NetworkStack } from './stacks/network-stack';
import { TrainingStack } from './stacks/training-stack';

/**
 * Adds every stack of trainium-cpt to the app and checks it with cdk-nag's AWS Solutions rules:
 * an unacknowledged finding fails synthesis.
 *
 * Stacks hand each other constructs (buckets, the secret, the Glue job, the cluster, the function). Every reference
 * between stacks is weak (cdk.json: @aws-cdk/core:defaultCrossStackReferences = weak): CDK adds a `Publish...` output
 * to the producing stack and reads it with Fn::GetStackOutput, with no export, so CloudFormation never refuses to
 * update or delete a producer that a consumer reads; CDK also orders the stacks (deploy after, destroy before).
 */
export function buildApp(app: App, config: CptConfig) {
  const env = config.region ? { region: config.region } : undefined;
  const names = stackNames(config);
  const network = new NetworkStack(app, 'Network', {
    stackName: names.network,
    env,
    description: 'trainium-cpt: VPC and subnets in an Availability Zone that offers the Trainium instance type',
    config,
  });
  const data = new DataStack(app, 'Data', {
    stackName: names.data,
    env,
    description:
      'trainium-cpt: buckets of corpora and datasets, the Hugging Face token secret, the Glue tokenization job',
    config,
  });
  const cluster = new ClusterStack(app, 'Cluster', {
    stackName: names.cluster,
    env,
    description:
      'trainium-cpt: AWS ParallelCluster Slurm cluster of Trainium nodes with EFA, FSx for Lustre and Neuron',
    config,
    vpc: network.vpc,
    headSubnet: network.publicSubnet,
    computeSubnet: network.privateSubnet,
    efaSecurityGroup: network.efaSecurityGroup,
    datasetsBucket: data.datasetsBucket,
    checkpointsBucket: data.checkpointsBucket,
    hfTokenSecret: data.hfTokenSecret,
    fsxLinkingPolicy: data.fsxLinkingPolicy,
  });
  const training = new TrainingStack(app, 'Training', {
    stackName: names.training,
    env,
    description: 'trainium-cpt: the function that submits, reports and cancels training runs on the cluster',
    config,
    cluster: cluster.cluster,
    bundleDir: cluster.trainingBundleDir,
    datasetsBucket: data.datasetsBucket,
    manifestReadPolicy: data.manifestReadPolicy,
    checkpointsBucket: data.checkpointsBucket,
    hfTokenSecret: data.hfTokenSecret,
    tokenizeJob: data.tokenizeJob,
  });
  const monitoring = new MonitoringStack(app, 'Monitoring', {
    stackName: names.monitoring,
    env,
    description: 'trainium-cpt: alerts topic, alarms, dashboard and cost budgets of a training run',
    config,
    tokenizeJob: data.tokenizeJob,
    cluster: cluster.cluster,
    trainingFunction: training.training.function,
    budgetLimits: plannedBudgetLimits(config),
  });
  // Stable tags: ParallelCluster fails an update that changes tags and config at once. The budgets filter on this
  // tag, once it is activated as a cost allocation tag in the Billing console.
  Tags.of(app).add(PROJECT_TAG_KEY, config.projectName);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { network, data, cluster, training, monitoring };
}

/** The plan's limits of the daily and the run budget (lib/plan), or undefined when the Region has no prices on record. */
function plannedBudgetLimits(config: CptConfig): BudgetLimits | undefined {
  try {
    return budgetLimits(config);
  } catch (error) {
    if (error instanceof PlanError) return undefined;
    throw error;
  }
}
