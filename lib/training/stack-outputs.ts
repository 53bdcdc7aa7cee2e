import { CfnOutput, Fn, Stack } from 'aws-cdk-lib';

/**
 * A value that another stack of the app already outputs, read with `Fn::GetStackOutput` through that output, and a
 * dependency on that stack. CDK's own cross-stack references would add a `Publish...` output to the producer for
 * each value; reading the documented outputs leaves the producer's template as it is. The output must exist (by its
 * construct ID, directly in the producer): a renamed output fails synthesis, not the deployment.
 */
export function stackOutput(consumer: Stack, producer: Stack, outputId: string): string {
  const output = producer.node.tryFindChild(outputId);
  if (!(output instanceof CfnOutput)) {
    throw new Error(`Stack ${producer.stackName} has no output ${outputId} for ${consumer.stackName} to read`);
  }
  consumer.addStackDependency(producer, `reads its output ${outputId}`);
  return Fn.getStackOutput(producer.stackName, producer.getLogicalId(output), producer.region);
}
