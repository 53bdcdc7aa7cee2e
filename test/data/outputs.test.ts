import { dataTemplate } from '../support/app';

test('the stack outputs the buckets, the job and the secret that the tokenize CLI reads', () => {
  const outputs = dataTemplate().findOutputs('*');
  // PublishOutput*: what CDK adds for the cluster stack's references to this one.
  expect(
    Object.keys(outputs)
      .filter((name) => !name.startsWith('PublishOutput'))
      .sort(),
  ).toEqual(
    [
      'CheckpointsBucketName',
      'DatasetsBucketName',
      'HfTokenSecretArn',
      'RawBucketName',
      'ScratchBucketName',
      'TokenizeJobName',
    ].sort(),
  );
  expect(outputs.RawBucketName.Value).toEqual({ Ref: expect.stringMatching(/^BucketsRaw/) });
  expect(outputs.DatasetsBucketName.Value).toEqual({ Ref: expect.stringMatching(/^BucketsDatasets/) });
  expect(outputs.CheckpointsBucketName.Value).toEqual({ Ref: expect.stringMatching(/^BucketsCheckpoints/) });
  expect(outputs.ScratchBucketName.Value).toEqual({ Ref: expect.stringMatching(/^BucketsScratch/) });
  expect(outputs.TokenizeJobName.Value).toEqual({ Ref: expect.stringMatching(/^TokenizeJob/) });
  expect(outputs.HfTokenSecretArn.Value).toEqual({ Ref: expect.stringMatching(/^HuggingFaceTokenSecret/) });
});
