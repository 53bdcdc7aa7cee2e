import { Match } from 'aws-cdk-lib/assertions';
import { dataTemplate } from '../support/app';

const template = dataTemplate();
const buckets = template.findResources('AWS::S3::Bucket');
const idOf = (name: string) => {
  const ids = Object.keys(buckets).filter((id) => new RegExp(`^Buckets${name}[0-9A-F]{8}$`).test(id));
  expect(ids).toHaveLength(1);
  return ids[0];
};
const [raw, datasets, checkpoints, scratch, accessLogs] = [
  'Raw',
  'Datasets',
  'Checkpoints',
  'Scratch',
  'AccessLogs',
].map(idOf);

test('the stack has five buckets: raw corpora, datasets, checkpoints, scratch and access logs', () => {
  expect(Object.keys(buckets).sort()).toEqual([raw, datasets, checkpoints, scratch, accessLogs].sort());
});

test('cdk destroy keeps the corpora, the datasets, the checkpoints and the access logs, and removes the scratch bucket', () => {
  for (const id of [raw, datasets, checkpoints, accessLogs]) {
    expect(buckets[id].DeletionPolicy).toBe('Retain');
    expect(buckets[id].UpdateReplacePolicy).toBe('Retain');
  }
  expect(buckets[scratch].DeletionPolicy).toBe('Delete');
});

test('only the scratch bucket is emptied before deletion', () => {
  template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: scratch } });
});

test('the auto-delete handler logs to a group the stack owns, created before it runs', () => {
  template.hasResource('AWS::Logs::LogGroup', {
    Properties: {
      LogGroupName: {
        'Fn::Join': [
          '',
          ['/aws/lambda/', { Ref: Match.stringLikeRegexp('^CustomS3AutoDeleteObjectsCustomResourceProviderHandler') }],
        ],
      },
      RetentionInDays: 30,
    },
    DeletionPolicy: 'Delete',
  });
  template.hasResource('Custom::S3AutoDeleteObjects', {
    DependsOn: Match.arrayWith([Match.stringLikeRegexp('^BucketsAutoDeleteHandlerLogs')]),
  });
});

test('the corpora, the datasets and the checkpoints are versioned', () => {
  for (const id of [raw, datasets, checkpoints]) {
    expect(buckets[id].Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  }
  for (const id of [scratch, accessLogs]) expect(buckets[id].Properties.VersioningConfiguration).toBeUndefined();
});

test('an overwritten or deleted checkpoint stays recoverable for 30 days, then its version expires', () => {
  expect(buckets[checkpoints].Properties.LifecycleConfiguration.Rules).toEqual([
    {
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    },
  ]);
});

test('every bucket is encrypted with S3-managed keys, private, and without ACLs', () => {
  for (const bucket of Object.values(buckets)) {
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.Properties.AccessControl).toBeUndefined();
  }
});

test('every bucket refuses requests without TLS, or with TLS older than 1.2', () => {
  const policies = template.findResources('AWS::S3::BucketPolicy');
  expect(Object.keys(policies)).toHaveLength(5);
  for (const policy of Object.values(policies)) {
    const bucketArn = { 'Fn::GetAtt': [policy.Properties.Bucket.Ref, 'Arn'] };
    const everything = [bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }];
    expect(policy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: everything,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: everything,
          Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
        },
      ]),
    );
  }
});

test('the other buckets log requests to the access-log bucket, each under its own prefix', () => {
  const prefixes: [string, string][] = [
    [raw, 'raw/'],
    [datasets, 'datasets/'],
    [checkpoints, 'checkpoints/'],
    [scratch, 'scratch/'],
  ];
  for (const [id, prefix] of prefixes) {
    expect(buckets[id].Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: accessLogs },
      LogFilePrefix: prefix,
    });
  }
  expect(buckets[accessLogs].Properties.LoggingConfiguration).toBeUndefined();
});

test('S3 log delivery may write to the access-log bucket through its policy, for these buckets only', () => {
  const policies = template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: accessLogs } } });
  const [policy] = Object.values(policies);
  const deliveries = policy.Properties.PolicyDocument.Statement.filter(
    (s: { Principal?: { Service?: string } }) => s.Principal?.Service === 'logging.s3.amazonaws.com',
  );
  expect(deliveries).toEqual(
    ['raw/', 'datasets/', 'checkpoints/', 'scratch/'].map((prefix) =>
      expect.objectContaining({
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [accessLogs, 'Arn'] }, `/${prefix}*`]] },
        Condition: {
          ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [expect.stringMatching(/^Buckets/), 'Arn'] } },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      }),
    ),
  );
});

test('scratch files expire after 14 days and unfinished uploads after 1 day; access logs after 365 days', () => {
  expect(buckets[scratch].Properties.LifecycleConfiguration).toEqual({
    Rules: [{ ExpirationInDays: 14, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }],
  });
  expect(buckets[accessLogs].Properties.LifecycleConfiguration).toEqual({
    Rules: [{ ExpirationInDays: 365, Status: 'Enabled' }],
  });
  for (const id of [raw, datasets]) expect(buckets[id].Properties.LifecycleConfiguration).toBeUndefined();
});
