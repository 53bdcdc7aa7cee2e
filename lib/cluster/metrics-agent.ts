import * as fs from 'fs';
import * as path from 'path';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { CfnAssociation } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, PUBLISH_INTERVAL_SECONDS, RUNS_DIR } from '../monitoring/metrics';
import { runOnHeadNode } from './head-node-commands';
import { nodePolicy } from './node-policy';

/**
 * The agent's source folder: the Python agent (cpt_metrics_agent.py and its modules, metrics_agent/) and the script
 * that installs it as a service.
 */
export const METRICS_AGENT_DIR = path.join(__dirname, '..', '..', 'cluster', 'monitoring');
export const INSTALL_SCRIPT = 'install-agent.sh';

export interface MetricsAgentProps {
  /** The `ClusterName` dimension of every data point: clusterName(config). */
  readonly clusterName: string;
  /** Region the agent publishes to (the cluster's). */
  readonly region: string;
  /**
   * Folder of the agent's code.
   * @default cluster/monitoring of this repository
   */
  readonly sourceDir?: string;
}

/**
 * The head node's metrics agent: the code of cluster/monitoring (the agent, its modules and install-agent.sh, without
 * the tests) as an asset, the managed policy that lets the head node publish to the project's CloudWatch namespace
 * (and nowhere else), and an SSM association (`installOn`) that installs the agent at every deployment that changes
 * it.
 *
 * The cluster configuration must attach `policy` to the head node and give it read access to the asset object
 * (`asset`): ParallelCluster's HeadNode.Iam AdditionalIamPolicies and S3Access.
 */
export class MetricsAgent extends Construct {
  readonly asset: s3assets.Asset;
  readonly policy: iam.ManagedPolicy;
  private readonly props: MetricsAgentProps;

  constructor(scope: Construct, id: string, props: MetricsAgentProps) {
    super(scope, id);
    this.props = props;
    const sourceDir = props.sourceDir ?? METRICS_AGENT_DIR;
    if (!fs.existsSync(path.join(sourceDir, INSTALL_SCRIPT))) {
      throw new Error(`The metrics agent has no ${INSTALL_SCRIPT} in ${sourceDir}`);
    }
    this.asset = new s3assets.Asset(this, 'Asset', { path: sourceDir, exclude: ['tests', '__pycache__', '*.pyc'] });
    this.policy = nodePolicy(this, 'Policy', {
      description: `Head node of the cluster: publish metrics to the CloudWatch namespace ${METRICS_NAMESPACE} only`,
      statements: [
        new iam.PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
        }),
      ],
    });
    Validations.of(this.policy).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: `cloudwatch:PutMetricData supports no resource-level permissions; a condition limits it to the ${METRICS_NAMESPACE} namespace.`,
    });
  }

  /** The command line the association runs the install script with (after `bash <dir>/install-agent.sh`). */
  get installArguments(): string {
    return [
      `--cluster-name ${this.props.clusterName}`,
      `--region ${this.props.region}`,
      `--namespace ${METRICS_NAMESPACE}`,
      `--interval ${PUBLISH_INTERVAL_SECONDS}`,
      `--runs-dir ${RUNS_DIR}`,
    ].join(' ');
  }

  /**
   * Installs the agent on the head node (which must be allowed to read the asset object). CloudFormation waits for
   * the association: an agent that cannot be installed fails the deployment. The install script itself runs under bash.
   */
  installOn(headNodeInstanceId: string): CfnAssociation {
    return runOnHeadNode(this, 'Install', {
      headNodeInstanceId,
      commands: [
        'dir=$(mktemp -d /tmp/cpt-metrics-agent.XXXXXX)',
        `aws s3 cp ${this.asset.s3ObjectUrl} "$dir/agent.zip" --only-show-errors`,
        'python3 -m zipfile -e "$dir/agent.zip" "$dir"',
        `bash "$dir/${INSTALL_SCRIPT}" ${this.installArguments}`,
        'rm -rf "$dir"',
      ],
      waitForSuccess: Duration.minutes(10),
    });
  }
}
