import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CptConfig } from '../../lib/config/schema';
import { stackNames } from '../../lib/stack-names';
import { resolveSettings, trainingDefaults } from '../../lib/training/plan';
import { InvalidRequestError } from '../../lib/training/requests';
import { awsFailure, findStack } from '../shared/aws';
import { CommandError, EXIT_CODES, UsageError } from '../shared/command-line';
import { describeAnswer } from './answer';
import { inFlags, parseTrainingArgs, TrainingCommandLine, usage } from './args';

/**
 * `npm run submit`, `npm run status` and `npm run cancel`: invoke the training function (lambda/submit) and print
 * its answer. The AWS clients and the output are passed in, so tests drive it with mocked clients.
 *
 * Exit codes (EXIT_CODES): failed, the function failed (manifest, head node, script) or AWS refused a call; usage, bad
 * flags or configuration, or a request the function refused: nothing reached the cluster.
 */

/** The training stack's output this command reads. */
const FUNCTION_NAME_OUTPUT = 'TrainingFunctionName';

export interface TrainingCommandDeps {
  loadConfig(context: Readonly<Record<string, string>>): CptConfig;
  clients(config: CptConfig): { cloudFormation: CloudFormationClient; lambda: LambdaClient };
  print(line: string): void;
}

/** The whole command; flags, configuration and overrides are checked before any AWS call. */
export async function trainingCommand(argv: readonly string[], deps: TrainingCommandDeps): Promise<number> {
  const line = parseTrainingArgs(argv);
  if (line.help) {
    deps.print(usage(line.action));
    return EXIT_CODES.succeeded;
  }
  const config = deps.loadConfig(line.context);
  if (line.action === 'submit') checkOverrides(line, config);

  const { cloudFormation, lambda } = deps.clients(config);
  const stackName = stackNames(config).training;
  const functionName = await resolveFunction(cloudFormation, stackName);
  const event =
    line.action !== 'submit'
      ? { action: line.action, run: line.run }
      : {
          action: line.action,
          run: line.run,
          ...(Object.keys(line.overrides).length > 0 && { overrides: line.overrides }),
          ...(line.resume && { resume: true }),
        };
  const answer = await invoke(lambda, functionName, event, line.action);
  if (line.json) deps.print(JSON.stringify(answer, null, 2));
  else for (const text of describeAnswer(line.action, answer)) deps.print(text);
  return EXIT_CODES.succeeded;
}

/** The rules between settings (the queue's size, the batch split...), against the local configuration. */
function checkOverrides(line: TrainingCommandLine, config: CptConfig): void {
  try {
    resolveSettings(trainingDefaults(config), line.overrides);
  } catch (error) {
    if (error instanceof InvalidRequestError) throw new UsageError(line.action, error.problems.map(inFlags));
    throw error;
  }
}

async function resolveFunction(cloudFormation: CloudFormationClient, stackName: string): Promise<string> {
  const stack = await findStack(cloudFormation, stackName);
  const name = stack.Outputs?.find((o) => o.OutputKey === FUNCTION_NAME_OUTPUT)?.OutputValue;
  if (!name) {
    throw new CommandError(
      `Stack ${stackName} (${stack.StackStatus ?? 'status unknown'}) has no output ${FUNCTION_NAME_OUTPUT}: its deployment did not finish. Deploy it first: npx cdk deploy ${stackName} (with the same -c flags).`,
    );
  }
  return name;
}

/** Error types of the function that mean "refused as asked": nothing reached the cluster. */
const REFUSED = new Set(['InvalidRequest']);

async function invoke(
  lambda: LambdaClient,
  functionName: string,
  event: object,
  action: string,
): Promise<Record<string, unknown>> {
  let response;
  try {
    response = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
    );
  } catch (error) {
    throw awsFailure('Lambda', 'Invoke', error);
  }
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
  let payload: Record<string, unknown>;
  try {
    payload = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new CommandError(
      `The training function ${functionName} answered with something that is not JSON: ${text.slice(0, 500)}`,
    );
  }
  if (response.FunctionError) {
    const type = String(payload.errorType ?? response.FunctionError);
    const message = String(payload.errorMessage ?? '(no message)');
    const logs = `Its logs: CloudWatch Logs of the function ${functionName}.`;
    if (/Task timed out/.test(message)) {
      throw new CommandError(
        `npm run ${action}: the training function timed out (${message}). ${logs} Run the command again: submitting is idempotent.`,
      );
    }
    throw new CommandError(
      `npm run ${action} failed: ${type}: ${message}${REFUSED.has(type) ? '' : `\n${logs}`}`,
      REFUSED.has(type) ? EXIT_CODES.usage : EXIT_CODES.failed,
    );
  }
  return payload;
}
