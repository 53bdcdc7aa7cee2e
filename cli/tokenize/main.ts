/**
 * Starts the Glue tokenization job for one run and follows it to the end (see run.ts).
 *
 *   npm run tokenize -- --run medical-v1
 *   npm run tokenize -- --run medical-v1 --general-share 0.05 --seed 7 -c region=us-east-2
 *   npm run tokenize -- --help
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GlueClient } from '@aws-sdk/client-glue';
import { machineDeps } from '../shared/aws';
import { runCommand } from '../shared/command-line';
import { tokenize } from './run';

/** Adaptive retries ride out throttling; a run can be followed for days. */
const CLIENT_OPTIONS = { maxAttempts: 8, retryMode: 'adaptive' } as const;

async function main(): Promise<number> {
  return tokenize(process.argv.slice(2), {
    ...machineDeps(CLIENT_OPTIONS, (options) => ({
      cloudFormation: new CloudFormationClient(options),
      glue: new GlueClient(options),
    })),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
  });
}

runCommand(main);
