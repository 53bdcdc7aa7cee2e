import { isDeepStrictEqual } from 'util';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/**
 * What a consumer's template holds for a value of another stack (a token such as `bucket.bucketName`): CDK's weak
 * reference (cdk.json: @aws-cdk/core:defaultCrossStackReferences = weak), Fn::GetStackOutput of the one output CDK
 * published for that value in the producer's template.
 */
export function weakReference(producer: Stack, value: string) {
  const expected = producer.resolve(value);
  const published = Object.entries(Template.fromStack(producer).findOutputs('*'))
    .filter(([id, output]) => id.startsWith('Publish') && isDeepStrictEqual(output.Value, expected))
    .map(([id]) => id);
  if (published.length !== 1) {
    throw new Error(`${producer.stackName} publishes ${published.length} outputs of ${JSON.stringify(expected)}`);
  }
  return {
    'Fn::GetStackOutput': { StackName: producer.stackName, Region: { Ref: 'AWS::Region' }, OutputName: published[0] },
  };
}
