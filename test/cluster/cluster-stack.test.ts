import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthApp } from '../support/app';
import { documentedOutputs, headNodeAssociation } from '../support/resources';

const { stacks } = synthApp();
const template = Template.fromStack(stacks.cluster);
const [clusterResource] = Object.values(template.findResources('Custom::PclusterCluster'));

describe('the ParallelCluster provider', () => {
  test('is the official template of the configured version, as a nested stack of this stack', () => {
    template.hasResourceProperties('AWS::CloudFormation::Stack', {
      TemplateURL: {
        'Fn::Sub': [
          'https://${AWS::Region}-aws-parallelcluster.s3.${AWS::Region}.${AWS::URLSuffix}/parallelcluster/${Version}/templates/custom_resource/cluster.yaml',
          { Version: '3.16.1' },
        ],
      },
    });
  });

  test("gets the data stack's FSx linking policy as AdditionalIamPolicies, and no node policy", () => {
    const [provider] = Object.values(template.findResources('AWS::CloudFormation::Stack'));
    expect(provider.Properties.Parameters).toEqual({
      AdditionalIamPolicies: {
        'Fn::GetStackOutput': expect.objectContaining({
          StackName: 'trainium-cpt-data',
          OutputName: expect.stringMatching(/FsxLinking/),
        }),
      },
    });
  });

  test('node policies live under /parallelcluster/, the only customer policies its provider may attach', () => {
    const nodePolicies = Object.entries(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(nodePolicies.map(([id]) => id).sort()).toEqual([
      expect.stringMatching(/^MetricsAgentPolicy/),
      expect.stringMatching(/^TrainingNodePolicy/),
    ]);
    for (const [, policy] of nodePolicies) expect(policy.Properties.Path).toBe('/parallelcluster/');
  });

  test("the Trainium nodes' extra policy reads the Hugging Face secret and nothing else", () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: Match.objectLike({ 'Fn::GetStackOutput': Match.objectLike({ StackName: 'trainium-cpt-data' }) }),
          },
        ],
      },
    });
  });

  test('follows parallelClusterVersion', () => {
    const other = Template.fromStack(synthApp({ parallelClusterVersion: '3.14.2' }).stacks.cluster);
    expect(JSON.stringify(other.findResources('AWS::CloudFormation::Stack'))).toContain('"Version":"3.14.2"');
  });
});

describe('the cluster resource', () => {
  test('takes its token from the provider, a stable name, and deletes the cluster with the stack', () => {
    expect(clusterResource.Type).toBe('Custom::PclusterCluster');
    expect(clusterResource.Properties.ServiceToken).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^ParallelClusterProvider/), 'Outputs.ServiceToken'],
    });
    expect(clusterResource.Properties.ClusterName).toBe('trainium-cpt-pcluster');
    expect(clusterResource.Properties.ClusterName).not.toBe(stacks.cluster.stackName);
    expect(clusterResource.Properties.DeletionPolicy).toBe('Delete');
    expect(clusterResource.DeletionPolicy).toBe('Delete');
  });

  test('has no property the provider would pass on to create-cluster as an unknown argument (so no ServiceTimeout)', () => {
    expect(Object.keys(clusterResource.Properties).sort()).toEqual(
      ['ClusterConfiguration', 'ClusterName', 'DeletionPolicy', 'ServiceToken'].sort(),
    );
  });

  test("places nodes in the network stack's subnets and links FSx to the data stack's buckets", () => {
    const configuration = JSON.stringify(clusterResource.Properties.ClusterConfiguration);
    const fromStack = (stack: string, output: string) =>
      new RegExp(
        `\\{"Fn::GetStackOutput":\\{"StackName":"${stack}","Region":\\{"Ref":"AWS::Region"\\},"OutputName":"[^"]*${output}`,
      );
    expect(configuration).toMatch(new RegExp(`"SubnetId":${fromStack('trainium-cpt-network', 'headSubnet').source}`));
    expect(configuration).toMatch(
      new RegExp(`"SubnetIds":\\[${fromStack('trainium-cpt-network', 'computeSubnet').source}`),
    );
    expect(configuration).toMatch(
      new RegExp(`"AdditionalSecurityGroups":\\[${fromStack('trainium-cpt-network', 'EfaSecurityGroup').source}`),
    );
    expect(configuration).toMatch(new RegExp(`"s3://",${fromStack('trainium-cpt-data', 'BucketsDatasets').source}`));
    expect(configuration).toMatch(new RegExp(`"s3://",${fromStack('trainium-cpt-data', 'BucketsCheckpoints').source}`));
  });

  test('runs the node set-up script from the assets bucket on the Trainium nodes, and nothing on the head node', () => {
    const { HeadNode, Scheduling } = clusterResource.Properties.ClusterConfiguration;
    expect(JSON.stringify(Scheduling.SlurmQueues[0].CustomActions.OnNodeConfigured.Script)).toMatch(
      /s3:\/\/.*cdk-hnb659fds-assets.*\.sh/,
    );
    expect(HeadNode).not.toHaveProperty('CustomActions');
    expect(clusterResource.Properties.ClusterConfiguration).not.toHaveProperty('DevSettings');
  });
});

test('outputs the cluster name, the head node, an SSM session command and the FSx mount point', () => {
  const outputs = documentedOutputs(template);
  expect(Object.keys(outputs).sort()).toEqual([
    'ClusterName',
    'FsxMountPoint',
    'HeadNodeInstanceId',
    'SsmSessionCommand',
  ]);
  expect(outputs.HeadNodeInstanceId.Value).toEqual({
    'Fn::GetAtt': [expect.stringMatching(/^ParallelCluster[0-9A-F]{8}$/), 'headNode.instanceId'],
  });
  expect(JSON.stringify(outputs.SsmSessionCommand.Value)).toContain('aws ssm start-session --target ');
  expect(outputs.FsxMountPoint.Value).toBe('/fsx');
  expect(outputs.ClusterName.Value).toBe('trainium-cpt-pcluster');
});

test('a Neuron release without tested pins fails synthesis, naming the key and the releases there are', () => {
  expect(() => synthApp({ neuronSdkVersion: '2.27.0' })).toThrow(
    'neuronSdkVersion = "2.27.0": no tested pins in cluster/neuron/. Accepted: 2.28.1.',
  );
});

test('the checkpoints bucket is kept by cdk destroy', () => {
  Template.fromStack(stacks.data).hasResource('AWS::S3::Bucket', {
    DeletionPolicy: 'Retain',
    Properties: Match.objectLike({
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'checkpoints/' },
    }),
  });
});

describe('the training bundle', () => {
  const [association] = Object.entries(template.findResources('AWS::SSM::Association'))
    .filter(([id]) => id.startsWith('TrainingBundle'))
    .map(([, resource]) => resource);
  const dir = stacks.cluster.trainingBundleDir;

  test('is unpacked on the head node by an association that the deployment waits for', () => {
    expect(association.Properties).toMatchObject(headNodeAssociation(600));
    expect(dir).toMatch(/^\/fsx\/trainium-cpt\/training\/[0-9a-f]{20}$/);
  });

  test('into a folder of its own content, which appears whole by one rename, and only once', () => {
    const commands: unknown[] = association.Properties.Parameters.commands;
    expect(commands[1]).toBe(`if [ -f ${dir}/cpt-run.sh ]; then exit 0; fi`);
    expect(JSON.stringify(commands[3])).toMatch(
      /"aws s3 cp ",\{"Fn::Sub":"s3:\/\/cdk-hnb659fds-assets-[^"]*\/[0-9a-f]{64}\.zip"\}," [^ ]+\.partial\/bundle\.zip/,
    );
    expect(commands[commands.length - 1]).toBe(`mv -T ${dir}.partial ${dir}`);
  });

  test('may be read by the head node', () => {
    const { HeadNode } = clusterResource.Properties.ClusterConfiguration;
    expect(JSON.stringify(HeadNode.Iam.S3Access)).toMatch(/"KeyName":"[0-9a-f]{64}\.zip"/);
  });
});
