import { dataTemplate } from '../support/app';
import { documentedOutputs } from '../support/resources';

test('the stack outputs the buckets, the job and the secret that the tokenize CLI reads', () => {
  const outputs = documentedOutputs(dataTemplate());
  expect(Object.keys(outputs).sort()).toEqual(
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
