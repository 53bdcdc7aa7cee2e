import { dataTemplate } from '../support/app';

test('the stack outputs the buckets, the job and the secret that the tokenize CLI reads', () => {
  const outputs = dataTemplate().findOutputs('*');
  expect(Object.keys(outputs).sort()).toEqual(
    ['DatasetsBucketName', 'HfTokenSecretArn', 'RawBucketName', 'ScratchBucketName', 'TokenizeJobName'].sort(),
  );
  expect(outputs.RawBucketName.Value).toEqual({ Ref: expect.stringMatching(/^BucketsRaw/) });
  expect(outputs.DatasetsBucketName.Value).toEqual({ Ref: expect.stringMatching(/^BucketsDatasets/) });
  expect(outputs.ScratchBucketName.Value).toEqual({ Ref: expect.stringMatching(/^BucketsScratch/) });
  expect(outputs.TokenizeJobName.Value).toEqual({ Ref: expect.stringMatching(/^TokenizeJob/) });
  expect(outputs.HfTokenSecretArn.Value).toEqual({ Ref: expect.stringMatching(/^HuggingFaceTokenSecret/) });
});
