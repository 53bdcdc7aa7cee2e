import { CloudFormationClient, DescribeStacksCommand, Stack } from '@aws-sdk/client-cloudformation';
import { loadProjectConfig } from '../../lib/config/load';
import { CptConfig } from '../../lib/config/schema';
import { CommandError } from './command-line';

/** The SDK client options of a CLI: the config's Region when it sets one (where cdk deployed), else the SDK's own chain. */
export function clientOptions<T extends object>(config: CptConfig, base: T): T & { region?: string } {
  return config.region ? { ...base, region: config.region } : base;
}

/**
 * What a command that calls AWS takes from the machine it runs on: the project's configuration (with the -c flags of
 * `context`), SDK clients made with these options in the configuration's Region, and console output.
 */
export function machineDeps<Options extends object, Clients>(
  base: Options,
  makeClients: (options: Options & { region?: string }) => Clients,
) {
  return {
    loadConfig: (context: Readonly<Record<string, string>>) => loadProjectConfig(context),
    clients: (config: CptConfig) => makeClients(clientOptions(config, base)),
    print: (line: string) => console.log(line),
  };
}

/** The Region a client calls, when the SDK can tell (for messages only). */
export async function regionOf(client: { config: { region: () => Promise<string> } }): Promise<string | undefined> {
  try {
    return await client.config.region();
  } catch {
    return undefined;
  }
}

/** Names the service and API in any AWS error, with what to do for the usual causes. */
export function awsFailure(service: string, api: string, error: unknown): CommandError {
  const err = error as Error;
  let hint = '';
  if (err.name === 'CredentialsProviderError')
    hint = ' Configure AWS credentials (aws configure, or AWS_PROFILE) and run again.';
  else if (/Region is missing/i.test(err.message)) hint = ' Set the Region: -c region=<code>, or AWS_REGION.';
  else if (/AccessDenied|Unauthorized/.test(err.name))
    hint = ` Your AWS identity needs ${service.toLowerCase()}:${api}.`;
  return new CommandError(`${service} ${api} failed (${err.name}: ${err.message}).${hint}`);
}

/** The deployed stack; one that does not exist means it was not deployed (with these -c flags). */
export async function findStack(cloudFormation: CloudFormationClient, stackName: string): Promise<Stack> {
  let stack;
  try {
    stack = (await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (error) {
    if (!/does not exist/.test((error as Error).message)) throw awsFailure('CloudFormation', 'DescribeStacks', error);
  }
  if (!stack) {
    const where = await regionOf(cloudFormation);
    throw new CommandError(
      `Stack ${stackName} does not exist${where ? ` in ${where}` : ''}. Deploy it first: npx cdk deploy ${stackName} (with the same -c flags).`,
    );
  }
  return stack;
}
