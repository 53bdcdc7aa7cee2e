/**
 * Starts the Glue tokenization job for one run and follows it to the end (see lib/data/tokenize-run.ts).
 *
 *   npm run tokenize -- --run medical-v1
 *   npm run tokenize -- --run medical-v1 --general-share 0.05 --seed 7 -c region=us-east-2
 *   npm run tokenize -- --help
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GlueClient } from '@aws-sdk/client-glue';
import { loadProjectConfig } from '../lib/config/load';
import { clientOptions, runCommand } from './run-command';
import { tokenize } from '../lib/data/tokenize-run';

/** Adaptive retries ride out throttling; a run can be followed for days. */
const CLIENT_OPTIONS = { maxAttempts: 8, retryMode: 'adaptive' } as const;

async function main(): Promise<number> {
  return tokenize(process.argv.slice(2), {
    loadConfig: (context) => loadProjectConfig(context),
    clients: (config) => {
      const options = clientOptions(config, CLIENT_OPTIONS);
      return { cloudFormation: new CloudFormationClient(options), glue: new GlueClient(options) };
    },
    print: (line) => console.log(line),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
  });
}

runCommand(main);
