import { CfnOutput, Stack } from 'aws-cdk-lib';

/** A documented output: its value, and what it is (the description `cdk deploy` prints next to it). */
export type Output = readonly [value: string, description?: string];

/** The stack's documented outputs, by output name (the names the CLIs and the README use). */
export function addOutputs(stack: Stack, outputs: Readonly<Record<string, Output>>): void {
  for (const [name, [value, description]] of Object.entries(outputs)) {
    new CfnOutput(stack, name, { value, description });
  }
}
