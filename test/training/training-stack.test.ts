import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { buildApp } from '../../lib/app';
import { CptConfig } from '../../lib/config/schema';
import { MANIFEST_READ_REASON } from '../../lib/data/manifest-read-policy';
import { trainingDefaults } from '../../lib/training/plan';
import { TrainingFunction } from '../../lib/training/training-function';
import { TrainingStack } from '../../lib/stacks/training-stack';
import { defaultConfig, synthApp, testApp } from '../support/app';
import { weakReference } from '../support/weak-reference';

function trainingTemplate(overrides: Partial<CptConfig> = {}): Template {
  return Template.fromStack(synthApp(overrides).stacks.training);
}

/** The other stacks' values the training stack reads (CDK's weak references). */
const { stacks: others } = synthApp();
const headNode = weakReference(others.cluster, others.cluster.cluster.headNodeInstanceId);
const datasetsName = weakReference(others.data, others.data.datasetsBucket.bucketName);
const jobName = weakReference(others.data, others.data.tokenizeJob.jobName);
const manifestReadPolicy = weakReference(others.data, others.data.manifestReadPolicy.managedPolicyArn);

function statementsOf(template: Template) {
  const policies = template.findResources('AWS::IAM::Policy');
  expect(Object.keys(policies)).toHaveLength(1);
  const [policy] = Object.values(policies);
  expect(policy.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^TrainingRole/) }]);
  return policy.Properties.PolicyDocument.Statement;
}

const LOGS = {
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TrainingLogs/), 'Arn'] },
};
const SEND_COMMAND = {
  Effect: 'Allow',
  Action: 'ssm:SendCommand',
  Resource: [
    {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ec2:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':instance/',
          headNode,
        ],
      ],
    },
    // The stack's Command document (test/training/command-document.test.ts), and no other: not AWS-RunShellScript.
    {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ssm:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':document/',
          { Ref: expect.stringMatching(/^TrainingCommandDocument[0-9A-F]{8}$/) },
        ],
      ],
    },
  ],
};
const GET_COMMAND_INVOCATION = { Effect: 'Allow', Action: 'ssm:GetCommandInvocation', Resource: '*' };
/** The data stack's manifest-read policy, which the role holds. */
const READ_MANIFESTS = {
  Effect: 'Allow',
  Action: 's3:GetObject',
  Resource: {
    'Fn::Join': [
      '',
      [{ 'Fn::GetAtt': [expect.stringMatching(/^BucketsDatasets/), 'Arn'] }, '/datasets/*/manifest.json'],
    ],
  },
};
const GET_JOB_RUN = {
  Effect: 'Allow',
  Action: 'glue:GetJobRun',
  Resource: {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':glue:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':job/',
        jobName,
      ],
    ],
  },
};

describe('the training stack', () => {
  const template = trainingTemplate();

  test('is <projectName>-training and deploys after the data and cluster stacks, whose values it reads', () => {
    const { app, stacks } = synthApp({ projectName: 'med' });
    app.synth(); // CDK records a stack's dependencies when it resolves the references between stacks.
    expect(stacks.training.stackName).toBe('med-training');
    expect(stacks.training.dependencies.map((s) => s.stackName).sort()).toEqual(['med-cluster', 'med-data']);
    const [fn] = Object.values(Template.fromStack(stacks.training).findResources('AWS::Lambda::Function'));
    expect(fn.Properties.Environment.Variables.HEAD_NODE_INSTANCE_ID).toEqual(
      weakReference(stacks.cluster, stacks.cluster.cluster.headNodeInstanceId),
    );
  });

  test('outputs the function name, which the CLI reads', () => {
    template.hasOutput('TrainingFunctionName', {
      Value: { Ref: Match.stringLikeRegexp('^TrainingFunction[0-9A-F]{8}$') },
    });
  });

  test('the function: Node.js 24 on arm64, a 5-minute timeout, its own log group and role', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 300,
      MemorySize: 256,
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^TrainingLogs') } },
      Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrainingRole'), 'Arn'] },
    });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 90 }, DeletionPolicy: 'Delete' });
    const [role] = Object.values(template.findResources('AWS::IAM::Role'));
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    // The one managed policy: the data stack's, which reads run manifests (below).
    expect(role.Properties.ManagedPolicyArns).toEqual([manifestReadPolicy]);
  });

  test('its environment: the document, the defaults from the configuration, the head node, buckets and secret', () => {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    const variables = fn.Properties.Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual(
      [
        'CHECKPOINTS_BUCKET',
        'DATASETS_BUCKET',
        'HEAD_NODE_INSTANCE_ID',
        'HF_TOKEN_SECRET_ARN',
        'TRAINING_DEFAULTS',
        'TRAINING_DOCUMENT_NAME',
      ].sort(),
    );
    // The stack's Command document, by the name CloudFormation gives it; the bundle folder is in its content only.
    const [documentId] = Object.keys(template.findResources('AWS::SSM::Document'));
    expect(variables.TRAINING_DOCUMENT_NAME).toEqual({ Ref: documentId });
    expect(JSON.parse(variables.TRAINING_DEFAULTS)).toEqual(trainingDefaults(defaultConfig()));
    expect(variables.HEAD_NODE_INSTANCE_ID).toEqual(headNode);
    expect(variables.DATASETS_BUCKET).toEqual(datasetsName);
    expect(variables.CHECKPOINTS_BUCKET).toEqual(weakReference(others.data, others.data.checkpointsBucket.bucketName));
    expect(variables.HF_TOKEN_SECRET_ARN).toEqual(weakReference(others.data, others.data.hfTokenSecret.secretArn));
  });

  test('the defaults follow the configuration', () => {
    const other = trainingTemplate({ nodeCount: 4, globalBatchSize: 512, learningRate: 3e-4 });
    const [fn] = Object.values(other.findResources('AWS::Lambda::Function'));
    expect(JSON.parse(fn.Properties.Environment.Variables.TRAINING_DEFAULTS)).toMatchObject({
      nodes: 4,
      globalBatch: 512,
      learningRate: 3e-4,
    });
  });

  test('its role may do exactly this: write its logs, send its one document to the head node, read results and manifests', () => {
    expect(statementsOf(template)).toEqual([LOGS, SEND_COMMAND, GET_COMMAND_INVOCATION]);
    const policies = Template.fromStack(others.data).findResources('AWS::IAM::ManagedPolicy');
    const manifestRead = Object.entries(policies).filter(([id]) => id.startsWith('ManifestRead'));
    expect(manifestRead.map(([, policy]) => policy.Properties.PolicyDocument.Statement)).toEqual([[READ_MANIFESTS]]);
  });

  test('no EventBridge rule and no Glue permission while autoSubmitOnDataReady is false (the default)', () => {
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::Lambda::Permission', 0);
    expect(JSON.stringify(template.toJSON())).not.toContain('glue:');
  });

  test('no EC2 permission without a Capacity Block: the function makes no EC2 call', () => {
    expect(JSON.stringify(template.toJSON())).not.toContain('ec2:Describe');
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(JSON.parse(fn.Properties.Environment.Variables.TRAINING_DEFAULTS)).toMatchObject({
      capacityType: 'on-demand',
    });
    expect(JSON.parse(fn.Properties.Environment.Variables.TRAINING_DEFAULTS)).not.toHaveProperty(
      'capacityReservationId',
    );
  });
});

/** The configuration of the Capacity Block example (a block offers trn1.32xlarge). */
const CAPACITY_BLOCK: Partial<CptConfig> = {
  capacityType: 'capacity-block',
  capacityReservationId: 'cr-0123456789abcdef0',
  instanceType: 'trn1.32xlarge',
  nodeCount: 4,
};

describe('on a Capacity Block', () => {
  const template = trainingTemplate(CAPACITY_BLOCK);

  test('the function is told the capacity type and the block’s ID, in its defaults', () => {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(JSON.parse(fn.Properties.Environment.Variables.TRAINING_DEFAULTS)).toMatchObject({
      capacityType: 'capacity-block',
      capacityReservationId: 'cr-0123456789abcdef0',
    });
  });

  test('the role may also describe capacity reservations, in the stack’s Region only (the action has no resource type)', () => {
    expect(statementsOf(template)).toEqual([
      LOGS,
      SEND_COMMAND,
      GET_COMMAND_INVOCATION,
      {
        Effect: 'Allow',
        Action: 'ec2:DescribeCapacityReservations',
        Resource: '*',
        Condition: { StringEquals: { 'ec2:Region': { Ref: 'AWS::Region' } } },
      },
    ]);
  });

  test('cdk-nag finds nothing unacknowledged', () => {
    const app = testApp();
    buildApp(app, defaultConfig(CAPACITY_BLOCK));
    expect(() => app.synth()).not.toThrow();
  });
});

describe('with autoSubmitOnDataReady', () => {
  const template = trainingTemplate({ autoSubmitOnDataReady: true });

  test('a rule on the tokenization job’s SUCCEEDED state change, and only that', () => {
    template.resourceCountIs('AWS::Events::Rule', 1);
    const [rule] = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.glue'],
      'detail-type': ['Glue Job State Change'],
      detail: { jobName: [jobName], state: ['SUCCEEDED'] },
    });
    expect(rule.Properties.State).toBe('ENABLED');
  });

  test('invokes the function with {action: "data-ready", jobRunId} from the event: the function reads --run from Glue', () => {
    const [rule] = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rule.Properties.Targets).toEqual([
      {
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/^TrainingFunction/), 'Arn'] },
        Id: 'Target0',
        InputTransformer: {
          InputPathsMap: { 'detail-jobRunId': '$.detail.jobRunId' },
          InputTemplate: '{"action":"data-ready","jobRunId":<detail-jobRunId>}',
        },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrainingFunction'), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrainingOnDataReady'), 'Arn'] },
    });
  });

  test('the role may also read runs of the tokenization job, and of no other job', () => {
    expect(statementsOf(template)).toEqual([LOGS, SEND_COMMAND, GET_COMMAND_INVOCATION, GET_JOB_RUN]);
  });

  test('the function is told the job’s name', () => {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn.Properties.Environment.Variables.TOKENIZE_JOB_NAME).toEqual(jobName);
  });

  test('the template the rule fills in is valid JSON for any run ID Glue gives', () => {
    const [rule] = Object.values(template.findResources('AWS::Events::Rule'));
    const filled = rule.Properties.Targets[0].InputTransformer.InputTemplate.replace(
      '<detail-jobRunId>',
      JSON.stringify('jr_0123abcd'),
    );
    expect(JSON.parse(filled)).toEqual({ action: 'data-ready', jobRunId: 'jr_0123abcd' });
  });
});

describe('cdk-nag', () => {
  test.each([
    ['off', false],
    ['on', true],
  ])('finds nothing unacknowledged with automatic submission %s', (_name, autoSubmitOnDataReady) => {
    const app = testApp();
    buildApp(app, defaultConfig({ autoSubmitOnDataReady }));
    expect(() => app.synth()).not.toThrow();
  });

  test('the role acknowledges one finding, the manifest policy another, each with its reason', () => {
    const { stacks } = synthApp();
    const acknowledged = (construct: IConstruct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    expect(acknowledged(stacks.training.training.role)).toEqual([
      [
        'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        expect.stringMatching(
          /^ssm:GetCommandInvocation and ec2:DescribeCapacityReservations \(capacity-block only, this Region only\) support no resource-level permissions/,
        ),
      ],
    ]);
    // In the bucket's stack, where cdk-nag names the bucket by its logical ID.
    expect(acknowledged(stacks.data.manifestReadPolicy)).toEqual([
      [
        expect.stringMatching(
          /^AwsSolutions::AwsSolutions-IAM5\[Resource::<BucketsDatasets[0-9A-F]{8}\.Arn>\/datasets\/\*\/manifest\.json\]$/,
        ),
        MANIFEST_READ_REASON,
      ],
    ]);
  });
});

test('a bundle folder outside /fsx/trainium-cpt/training/ is refused at synth', () => {
  const stack = new Stack(testApp(), 'Bundles');
  const imported = {
    cluster: { headNodeInstanceId: 'i-0123456789abcdef0' },
    datasetsBucket: s3.Bucket.fromBucketName(stack, 'Datasets', 'datasets'),
    manifestReadPolicy: iam.ManagedPolicy.fromManagedPolicyName(stack, 'ManifestRead', 'manifest-read'),
    checkpointsBucket: s3.Bucket.fromBucketName(stack, 'Checkpoints', 'checkpoints'),
    hfTokenSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'HfToken', 'hf-token'),
    tokenizeJob: glue.Job.fromJobAttributes(stack, 'Tokenize', { jobName: 'trainium-cpt-tokenize' }),
  };
  const make = (bundleDir: string) => () =>
    new TrainingFunction(stack, `T${stack.node.children.length}`, {
      config: defaultConfig(),
      ...imported,
      bundleDir,
    });
  expect(make('/fsx/trainium-cpt/training/x; reboot')).toThrow(
    'Training bundle folder "/fsx/trainium-cpt/training/x; reboot": must be a folder directly under /fsx/trainium-cpt/training/',
  );
  expect(make('/tmp/bundle')).toThrow(/must be a folder directly under/);
  expect(make('/fsx/trainium-cpt/training/..')).toThrow(/must be a folder directly under/);
  expect(make('/fsx/trainium-cpt/training/b-2026-abc')).not.toThrow();
});

test('the stack takes a bundle folder', () => {
  const app = testApp();
  const { data, cluster } = buildApp(app, defaultConfig());
  const stack = new TrainingStack(app, 'Other', {
    config: defaultConfig(),
    cluster: cluster.cluster,
    bundleDir: '/fsx/trainium-cpt/training/b-2026-abc',
    datasetsBucket: data.datasetsBucket,
    manifestReadPolicy: data.manifestReadPolicy,
    checkpointsBucket: data.checkpointsBucket,
    hfTokenSecret: data.hfTokenSecret,
    tokenizeJob: data.tokenizeJob,
  });
  Template.fromStack(stack).hasResourceProperties('AWS::SSM::Document', {
    Content: Match.objectLike({
      mainSteps: [
        Match.objectLike({
          inputs: Match.objectLike({
            runCommand: ['bash /fsx/trainium-cpt/training/b-2026-abc/cpt-run.sh {{ action }} {{ request }}'],
          }),
        }),
      ],
    }),
  });
});
