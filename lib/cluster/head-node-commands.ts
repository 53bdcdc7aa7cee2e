import { Duration } from 'aws-cdk-lib';
import { CfnAssociation } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

export interface HeadNodeCommandsProps {
  /** The head node's instance ID (a token: ParallelCluster.headNodeInstanceId). */
  readonly headNodeInstanceId: string;
  /** Shell commands, one per line, after `set -eu`. */
  readonly commands: string[];
  /** How long CloudFormation waits for them to succeed: a failure (or no success in time) fails the deployment. */
  readonly waitForSuccess: Duration;
}

/**
 * Commands run on the head node by an SSM association (AWS-RunShellScript), at creation and whenever they change.
 * SSM runs them with `sh` (amazon-ssm-agent's shellCommand "sh": dash on Ubuntu), which has no pipefail: bash-only
 * options such as `set -o pipefail` would stop the script, so each runs under `set -eu` only.
 */
export function runOnHeadNode(scope: Construct, id: string, props: HeadNodeCommandsProps): CfnAssociation {
  return new CfnAssociation(scope, id, {
    name: 'AWS-RunShellScript',
    targets: [{ key: 'InstanceIds', values: [props.headNodeInstanceId] }],
    parameters: { commands: ['set -eu', ...props.commands] },
    waitForSuccessTimeoutSeconds: props.waitForSuccess.toSeconds(),
  });
}
