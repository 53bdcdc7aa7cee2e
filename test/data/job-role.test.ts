import { Template } from 'aws-cdk-lib/assertions';
import { dataTemplate } from '../support/app';

/** The statements of the tokenization job's role, and the role itself. */
function roleOf(template: Template) {
  const roles = template.findResources('AWS::IAM::Role');
  const [roleId] = Object.keys(roles).filter((id) => id.startsWith('TokenizeRole'));
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return {
    role: roles[roleId],
    statements: Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement),
  };
}

const bucketArn = (name: string) => ({
  'Fn::GetAtt': [expect.stringMatching(new RegExp(`^Buckets${name}[0-9A-F]{8}$`)), 'Arn'],
});
const objects = (name: string, key: string) => ({ 'Fn::Join': ['', [bucketArn(name), `/${key}`]] });
// Key names of the three buckets, unconditioned: Spark's file systems probe keys beside the prefixes.
const listing = {
  Effect: 'Allow',
  Action: 's3:ListBucket',
  Resource: [bucketArn('Datasets'), bucketArn('Raw'), bucketArn('Scratch')],
};
const assetsBucket = [
  'arn:',
  { Ref: 'AWS::Partition' },
  ':s3:::',
  { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' },
];
const codeObject = (extension: string) => ({
  'Fn::Join': ['', [...assetsBucket, expect.stringMatching(new RegExp(`^/[0-9a-f]{64}\\.${extension}$`))]],
});

describe("the tokenization job's role", () => {
  const { role, statements } = roleOf(dataTemplate());

  test('is assumed by Glue only and takes no AWS managed policy', () => {
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'glue.amazonaws.com' } },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('may do exactly this: read the corpora, write its prefixes, read the secret, write its logs and Glue metrics', () => {
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [
          { 'Fn::GetAtt': [expect.stringMatching(/^TokenizeErrorLogs/), 'Arn'] },
          { 'Fn::GetAtt': [expect.stringMatching(/^TokenizeOutputLogs/), 'Arn'] },
        ],
      },
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [objects('Raw', 'corpus/domain/*'), objects('Raw', 'corpus/general/*')],
      },
      listing,
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: [
          objects('Datasets', 'datasets/*'),
          objects('Scratch', 'glue-temp/*'),
          objects('Scratch', 'tokenize/*'),
        ],
      },
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: expect.stringMatching(/^HuggingFaceTokenSecret/) },
      },
      {
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'Glue' } },
      },
      // What glue.Code grants for the script and the zipped package: these two objects of the CDK assets bucket.
      {
        Effect: 'Allow',
        Action: ['s3:GetBucket*', 's3:GetObject*', 's3:List*'],
        Resource: expect.arrayContaining([codeObject('py'), codeObject('zip'), { 'Fn::Join': ['', assetsBucket] }]),
      },
    ]);
    expect(statements[statements.length - 1].Resource).toHaveLength(3);
  });
});

test('without a general corpus (generalDataShare 0, no prefix), the role reads the domain corpus only', () => {
  const { statements } = roleOf(dataTemplate({ generalDataShare: 0, generalCorpusPrefix: '' }));
  const domainOnly = objects('Raw', 'corpus/domain/*');
  expect(statements).toContainEqual({ Effect: 'Allow', Action: 's3:GetObject', Resource: domainOnly });
  expect(JSON.stringify(statements)).not.toContain('general');
});

test('with a tokenizer file in the raw bucket, the role may read that one object too', () => {
  const { statements } = roleOf(dataTemplate({ tokenizerS3Key: 'tokenizers/llama2/tokenizer.json' }));
  expect(statements).toContainEqual({
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: [
      objects('Raw', 'corpus/domain/*'),
      objects('Raw', 'corpus/general/*'),
      objects('Raw', 'tokenizers/llama2/tokenizer.json'),
    ],
  });
});
