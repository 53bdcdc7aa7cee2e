import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Template } from 'aws-cdk-lib/assertions';
import { METRICS_AGENT_DIR } from '../../lib/cluster/metrics-agent';
import { synthApp } from '../support/app';
import { flatten, resource } from './support';
import { headNodeAssociation } from '../support/resources';

const { stacks } = synthApp();
const template = Template.fromStack(stacks.cluster);
const [clusterResource] = Object.values(template.findResources('Custom::PclusterCluster'));
const { HeadNode } = clusterResource.Properties.ClusterConfiguration;
const POLICY = { Ref: expect.stringMatching(/^MetricsAgentPolicy[0-9A-F]{8}$/) };

describe("the head node's metrics policy", () => {
  const policy = resource(template, 'AWS::IAM::ManagedPolicy', 'MetricsAgentPolicy');

  test('allows PutMetricData to the TrainiumCpt namespace only, and nothing else', () => {
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'TrainiumCpt' } },
      },
    ]);
    expect(policy.Properties.Roles).toBeUndefined();
  });

  test('is attached to the head node, not to the Trainium nodes', () => {
    expect(HeadNode.Iam.AdditionalIamPolicies).toContainEqual({ Policy: POLICY });
    for (const queue of clusterResource.Properties.ClusterConfiguration.Scheduling.SlurmQueues) {
      expect(queue.Iam.AdditionalIamPolicies).not.toContainEqual({ Policy: POLICY });
    }
  });

  test("lives under /parallelcluster/, so that ParallelCluster's provider may attach it (test/cluster/provider-permissions)", () => {
    expect(policy.Properties.Path).toBe('/parallelcluster/');
  });
});

describe('the agent', () => {
  const association = resource(template, 'AWS::SSM::Association', 'MetricsAgentInstall');
  const commands: unknown[] = association.Properties.Parameters.commands;
  const script = commands.map(flatten);

  test('is an asset of cluster/monitoring that the head node may read, that object only', () => {
    const { S3Access } = HeadNode.Iam;
    const agentObject = S3Access[S3Access.length - 1];
    expect(agentObject).toEqual({
      BucketName: expect.anything(),
      KeyName: expect.stringMatching(/^[0-9a-f]{64}\.zip$/),
    });
    expect(JSON.stringify(commands)).toContain(agentObject.KeyName);
    expect(fs.existsSync(`${METRICS_AGENT_DIR}/install-agent.sh`)).toBe(true);
  });

  test('is installed on the head node by an association that the deployment waits for', () => {
    expect(association.Properties).toMatchObject(headNodeAssociation(600));
  });

  test('downloads the zip to a temporary folder, unpacks it, runs install-agent.sh with the contract, and cleans up', () => {
    expect(script).toEqual([
      'set -eu',
      'dir=$(mktemp -d /tmp/cpt-metrics-agent.XXXXXX)',
      expect.stringMatching(
        /^aws s3 cp s3:\/\/cdk-hnb659fds-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}\/[0-9a-f]{64}\.zip "\$dir\/agent\.zip" --only-show-errors$/,
      ),
      'python3 -m zipfile -e "$dir/agent.zip" "$dir"',
      'bash "$dir/install-agent.sh" --cluster-name trainium-cpt-pcluster --region <AWS::Region> --namespace TrainiumCpt ' +
        '--interval 60 --runs-dir /fsx/trainium-cpt/runs',
      'rm -rf "$dir"',
    ]);
  });

  test('the region is the configured one when there is one', () => {
    const other = Template.fromStack(synthApp({ region: 'us-west-2', trainiumAz: 'usw2-az4' }).stacks.cluster);
    const install = resource(other, 'AWS::SSM::Association', 'MetricsAgentInstall');
    expect(install.Properties.Parameters.commands.map(flatten)).toContainEqual(
      expect.stringContaining(' --region us-west-2 '),
    );
  });
});

describe("the head node's associations", () => {
  const associations = Object.values(template.findResources('AWS::SSM::Association'));

  test('are three: the training bundle, the metrics agent and the Neuron environment', () => {
    expect(associations).toHaveLength(3);
  });

  // SSM's AWS-RunShellScript runs its commands with `sh` (amazon-ssm-agent: shellCommand "sh"), which is dash on
  // Ubuntu: bash-only options such as `set -o pipefail` stop the script before it starts.
  test.each(['TrainingBundleUnpack', 'MetricsAgentInstall', 'NeuronEnvironmentBuild'])(
    '%s runs under dash',
    (prefix) => {
      const lines: string[] = resource(template, 'AWS::SSM::Association', prefix).Properties.Parameters.commands.map(
        flatten,
      );
      expect(lines[0]).toBe('set -eu');
      expect(lines.join('\n')).not.toMatch(/pipefail|\[\[|shopt/);
      if (fs.existsSync('/usr/bin/dash')) {
        execFileSync('/usr/bin/dash', ['-n', '-c', lines.join('\n')]);
        execFileSync('/usr/bin/dash', ['-c', lines[0]]);
      }
    },
  );
});
