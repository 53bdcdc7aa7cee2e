/**
 * Submits a run's training chain to the cluster, prints its jobs' states, or cancels them, through the training
 * function (run.ts). The action comes first; npm scripts give it:
 *
 *   npm run submit -- --run medical-v1
 *   npm run submit -- --run medical-v1 --nodes 4 --global-batch 512 --steps 200 -c region=us-east-2
 *   npm run status -- --run medical-v1
 *   npm run cancel -- --run medical-v1
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { machineDeps } from '../shared/aws';
import { runCommand } from '../shared/command-line';
import { trainingCommand } from './run';

/** Adaptive retries ride out throttling; submitting again is harmless (the head-node script is idempotent). */
const CLIENT_OPTIONS = { maxAttempts: 3, retryMode: 'adaptive' } as const;

async function main(): Promise<number> {
  return trainingCommand(
    process.argv.slice(2),
    machineDeps(CLIENT_OPTIONS, (options) => ({
      cloudFormation: new CloudFormationClient(options),
      lambda: new LambdaClient(options),
    })),
  );
}

runCommand(main);
