/**
 * One round trip to the head-node script through SSM Run Command: send the stack's Command document, with the
 * contract's action and request as its parameters, to the head node, wait for it within a time budget, and read the
 * one JSON line the script answers with.
 */
import {
  CommandInvocationStatus,
  GetCommandInvocationCommand,
  GetCommandInvocationCommandOutput,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { commandParameters, DOCUMENT_VERSION, EXECUTION_TIMEOUT_SECONDS } from '../../lib/training/command-document';
import { SCRIPT_ERROR, SCRIPT_RESULTS, ScriptRequest, TrainingAction } from '../../lib/training/contract';

/** The head node's agent must take the command within this (SSM's minimum is 30 s). */
export const DELIVERY_TIMEOUT_SECONDS = 60;
/** First look soon (the script answers in about a second), then every two seconds. */
export const FIRST_POLL_MS = 1_000;
export const POLL_MS = 2_000;
/** SSM keeps the first 24,000 characters of stdout and 8,000 of stderr in GetCommandInvocation. */
export const STDOUT_LIMIT = 24_000;
const STDERR_SHOWN = 1_500;

/** SSM could not run the command, or it did not end well without the script saying why. */
export class HeadNodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeadNodeError';
  }
}

/** The script answered with {"error": ...}, or with something that is not the contract's answer. */
export class ScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScriptError';
  }
}

export interface Clock {
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface HeadNodeTarget {
  readonly instanceId: string;
  /** The stack's Command document (lib/training/command-document.ts). */
  readonly documentName: string;
}

const TERMINAL = new Set<string>([
  CommandInvocationStatus.SUCCESS,
  CommandInvocationStatus.FAILED,
  CommandInvocationStatus.TIMED_OUT,
  CommandInvocationStatus.CANCELLED,
]);

export type ScriptAnswer<A extends TrainingAction> = z.infer<(typeof SCRIPT_RESULTS)[A]> & { commandId: string };

/**
 * Runs `cpt-run.sh <action> <request>` on the head node and returns the script's answer (validated), or throws a
 * HeadNodeError or ScriptError that says what happened. `deadline` (from clock.now()) bounds the wait.
 */
export async function runScript<A extends TrainingAction>(
  ssm: SSMClient,
  target: HeadNodeTarget,
  action: A,
  request: ScriptRequest,
  clock: Clock,
  deadline: number,
): Promise<ScriptAnswer<A>> {
  const parameters = commandParameters(action, request);
  const commandId = await send(ssm, target, parameters, `trainium-cpt ${action} ${request.run}`);
  const invocation = await waitFor(ssm, target.instanceId, commandId, clock, deadline);
  return { ...readAnswer(action, invocation, commandId, target.instanceId), commandId };
}

async function send(
  ssm: SSMClient,
  target: HeadNodeTarget,
  parameters: Record<string, string[]>,
  comment: string,
): Promise<string> {
  const { instanceId } = target;
  try {
    const response = await ssm.send(
      new SendCommandCommand({
        DocumentName: target.documentName,
        DocumentVersion: DOCUMENT_VERSION,
        InstanceIds: [instanceId],
        Parameters: parameters,
        TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
        Comment: comment,
      }),
    );
    const id = response.Command?.CommandId;
    if (!id) throw new HeadNodeError('SSM SendCommand returned no command ID.');
    return id;
  } catch (error) {
    if (error instanceof HeadNodeError) throw error;
    const err = error as Error;
    if (err.name === 'InvalidInstanceId') {
      throw new HeadNodeError(
        `The head node ${instanceId} cannot take SSM commands (InvalidInstanceId: ${err.message}): it is stopped, ` +
          'replaced or not yet registered with SSM. Check it: aws ssm describe-instance-information ' +
          `--filters Key=InstanceIds,Values=${instanceId}`,
      );
    }
    throw new HeadNodeError(`SSM SendCommand failed (${err.name}: ${err.message}).`);
  }
}

async function waitFor(
  ssm: SSMClient,
  instanceId: string,
  commandId: string,
  clock: Clock,
  deadline: number,
): Promise<GetCommandInvocationCommandOutput> {
  let delay = FIRST_POLL_MS;
  let last = 'not yet registered';
  for (;;) {
    await clock.sleep(delay);
    delay = POLL_MS;
    try {
      const invocation = await ssm.send(
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
      );
      last = invocation.StatusDetails ?? invocation.Status ?? 'unknown';
      if (TERMINAL.has(invocation.Status ?? '')) return invocation;
    } catch (error) {
      const err = error as Error;
      // Right after SendCommand the invocation may not exist yet: keep asking.
      if (err.name !== 'InvocationDoesNotExist') {
        throw new HeadNodeError(
          `SSM GetCommandInvocation on command ${commandId} failed (${err.name}: ${err.message}).`,
        );
      }
    }
    if (clock.now() + delay > deadline) {
      throw new HeadNodeError(
        `No answer from the head node within the function's time (command ${commandId}, last status ${last}). ` +
          `It may still finish; look at it with: aws ssm get-command-invocation --command-id ${commandId} --instance-id ${instanceId}`,
      );
    }
  }
}

/** The script's answer from the invocation: the last non-empty line of stdout, as JSON, checked against the contract. */
function readAnswer<A extends TrainingAction>(
  action: A,
  invocation: GetCommandInvocationCommandOutput,
  commandId: string,
  instanceId: string,
): z.infer<(typeof SCRIPT_RESULTS)[A]> {
  const status = invocation.Status ?? 'unknown';
  const details = invocation.StatusDetails ?? status;
  const stdout = invocation.StandardOutputContent ?? '';
  const stderr = invocation.StandardErrorContent ?? '';
  const code = invocation.ResponseCode;
  const line = lastLine(stdout);
  const json = parseJson(line);

  const scriptError = SCRIPT_ERROR.safeParse(json);
  if (scriptError.success) {
    throw new ScriptError(
      `cpt-run.sh ${action} failed${code !== undefined && code !== -1 ? ` (exit ${code})` : ''}: ${scriptError.data.error}`,
    );
  }
  const where = `(command ${commandId} on ${instanceId})`;
  if (status === CommandInvocationStatus.TIMED_OUT) {
    if (details === 'DeliveryTimedOut') {
      throw new HeadNodeError(
        `The head node did not take the command within ${DELIVERY_TIMEOUT_SECONDS} s ${where}: is it running, with its SSM agent online?`,
      );
    }
    throw new HeadNodeError(
      `cpt-run.sh ${action} ran longer than ${EXECUTION_TIMEOUT_SECONDS} s and was stopped ${where}.${tail(stderr)}`,
    );
  }
  if (status === CommandInvocationStatus.CANCELLED) throw new HeadNodeError(`The command was cancelled ${where}.`);
  if (status !== CommandInvocationStatus.SUCCESS) {
    throw new HeadNodeError(
      `cpt-run.sh ${action} failed (${details}, exit ${code ?? 'unknown'}) ${where} without an error line.${tail(stderr)}`,
    );
  }
  if (json === undefined) {
    const cut =
      stdout.length >= STDOUT_LIMIT
        ? ` SSM keeps only the first ${STDOUT_LIMIT} characters of stdout, and it printed that many.`
        : '';
    throw new ScriptError(
      `cpt-run.sh ${action} did not end its output with a JSON line ${where}.${cut}${tail(stderr)}`,
    );
  }
  const answer = SCRIPT_RESULTS[action].safeParse(json);
  if (!answer.success) {
    const problems = answer.error.issues
      .map((i) => `${i.path.map(String).join('.') || '(line)'}: ${i.message}`)
      .join('; ');
    throw new ScriptError(`cpt-run.sh ${action} answered outside the contract ${where}: ${problems}`);
  }
  return answer.data as z.infer<(typeof SCRIPT_RESULTS)[A]>;
}

function lastLine(stdout: string): string {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}

function parseJson(line: string): unknown {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function tail(stderr: string): string {
  const text = stderr.trim();
  if (text === '') return '';
  return ` Its stderr ends with: ${text.length > STDERR_SHOWN ? `…${text.slice(-STDERR_SHOWN)}` : text}`;
}
