import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { loadProjectConfig } from '../../lib/config/load';
import { TrainingCommandDeps } from '../../cli/training/run';
import { mockSdkClients } from '../support/sdk-mocks';

/** Fixtures of `npm run submit/status/cancel` (cli/training): its SDK clients, its dependencies, Lambda's answers. */

/**
 * Stubs of the command's CloudFormation and Lambda clients, reset before each test; then the training stack answers
 * DescribeStacks with `functionName` as its TrainingFunctionName output.
 */
export function mockTrainingCliClients(functionName: string) {
  const stubs = mockSdkClients({ cloudFormation: CloudFormationClient, lambda: LambdaClient });
  beforeEach(() => {
    stubs.cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'trainium-cpt-training',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(0),
          Outputs: [{ OutputKey: 'TrainingFunctionName', OutputValue: functionName }],
        },
      ],
    });
  });
  return stubs;
}

/** The command's dependencies (the configuration of cdk.json, the stubbed clients), and the lines it prints. */
export function trainingCliDeps() {
  const lines: string[] = [];
  const deps: TrainingCommandDeps = {
    loadConfig: (context) => loadProjectConfig(context),
    clients: () => ({
      cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
      lambda: new LambdaClient({ region: 'us-east-1' }),
    }),
    print: (line) => lines.push(...line.split('\n')),
  };
  return { deps, lines };
}

/** The training function's answer, as Lambda's Invoke returns it. */
export const invokePayload = (value: unknown) => ({
  StatusCode: 200,
  Payload: new TextEncoder().encode(JSON.stringify(value)) as never,
});

/** The training function's failure, as Lambda's Invoke returns it: the error it threw, as its payload. */
export const functionError = (error: { errorType?: string; errorMessage: string }) => ({
  ...invokePayload(error),
  FunctionError: 'Unhandled',
});
