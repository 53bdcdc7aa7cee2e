import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetJobRunCommand, GetJobRunsCommand, GlueClient, JobRun, StartJobRunCommand } from '@aws-sdk/client-glue';
import { CptConfig } from '../../lib/config/schema';
import { manifestUri } from '../../lib/data/job-arguments';
import { stackNames } from '../../lib/stack-names';
import { awsFailure, findStack, regionOf } from '../shared/aws';
import { CommandError, EXIT_CODES as COMMAND_EXIT_CODES } from '../shared/command-line';
import { checkAgainstConfig, parseTokenizeArgs, TokenizeRequest, USAGE } from './args';

/**
 * `npm run tokenize`: starts the Glue tokenization job for one run and follows it to the end. The AWS clients, the
 * clock and the output are passed in, so tests drive it with mocked clients and a fake clock.
 */

/** Outputs of the data stack this command reads (the data stack's contract). */
export const DATA_STACK_OUTPUTS = [
  'RawBucketName',
  'DatasetsBucketName',
  'ScratchBucketName',
  'TokenizeJobName',
  'HfTokenSecretArn',
] as const;
export type DataStackOutputs = Record<(typeof DATA_STACK_OUTPUTS)[number], string>;

/** The commands' exit codes (failed: the run ended in FAILED, ERROR, TIMEOUT, STOPPED or EXPIRED, or AWS refused a call). */
export const EXIT_CODES = {
  ...COMMAND_EXIT_CODES,
  /** --timeout-minutes passed: this command stopped following, the run goes on. */
  stillRunning: 3,
} as const;

export const DEFAULT_POLL_SECONDS = 30;
/** Progress lines while RUNNING: often enough to show life, rarely enough to read. */
const PROGRESS_EVERY_MS = 60_000;
const ENDED_BADLY = new Set(['FAILED', 'ERROR', 'TIMEOUT', 'STOPPED', 'EXPIRED']);
const IN_PROGRESS = new Set(['STARTING', 'RUNNING', 'STOPPING', 'WAITING']);

export interface Output {
  print(line: string): void;
  sleep(ms: number): Promise<void>;
  /** Milliseconds, as Date.now(). */
  now(): number;
  /** Seconds between two GetJobRun calls; DEFAULT_POLL_SECONDS unless given. */
  pollSeconds?: number;
}

export interface TokenizeDeps extends Output {
  loadConfig(context: Readonly<Record<string, string>>): CptConfig;
  clients(config: CptConfig): { cloudFormation: CloudFormationClient; glue: GlueClient };
}

/** The whole command: flags and configuration are checked before any AWS call. */
export async function tokenize(argv: readonly string[], deps: TokenizeDeps): Promise<number> {
  const request = parseTokenizeArgs(argv);
  if (request.help) {
    deps.print(USAGE);
    return EXIT_CODES.succeeded;
  }
  const config = deps.loadConfig(request.context);
  checkAgainstConfig(request, config);

  const { cloudFormation, glue } = deps.clients(config);
  const stackName = stackNames(config).data;
  const outputs = await resolveDataStack(cloudFormation, stackName);
  const region = await regionOf(glue);
  deps.print(`Data stack ${stackName}${region ? ` (${region})` : ''}: Glue job ${outputs.TokenizeJobName}`);

  const job: RunRef = {
    jobName: outputs.TokenizeJobName,
    runId: '',
    run: request.run,
    datasetsBucketName: outputs.DatasetsBucketName,
    stackName,
    region,
  };
  deps.print(
    `Starting run ${request.run}: ${formatArguments(jobArguments(request))} (every other argument: the job's default)`,
  );
  const runId = await startRun(glue, job, request);
  const started = { ...job, runId };
  deps.print(`Started ${runId}. Look at it any time with: ${getRunCommand(started)}`);
  return followRun(glue, started, deps, request.timeoutMinutes);
}

/** The data stack's outputs; a missing stack or output means the data stack is not (or not fully) deployed. */
export async function resolveDataStack(
  cloudFormation: CloudFormationClient,
  stackName: string,
): Promise<DataStackOutputs> {
  const stack = await findStack(cloudFormation, stackName);
  const values = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const missing = DATA_STACK_OUTPUTS.filter((key) => !values.get(key));
  if (missing.length > 0) {
    throw new CommandError(
      `Stack ${stackName} (${stack.StackStatus ?? 'status unknown'}) has no output ${missing.join(', ')}: it is not the data stack of this version, or its deployment did not finish. Deploy it first: npx cdk deploy ${stackName}.`,
    );
  }
  return Object.fromEntries(DATA_STACK_OUTPUTS.map((key) => [key, values.get(key) as string])) as DataStackOutputs;
}

/** Everything needed to name a run in messages. */
export interface RunRef {
  readonly jobName: string;
  readonly runId: string;
  readonly run: string;
  readonly datasetsBucketName: string;
  readonly stackName: string;
  readonly region?: string;
}

/** `--run` and the overrides the user gave; the job keeps its defaults for the rest. */
export function jobArguments(request: TokenizeRequest): Record<string, string> {
  return { '--run': request.run, ...request.overrides };
}

/** Starts the run; returns its run ID. */
export async function startRun(glue: GlueClient, job: RunRef, request: TokenizeRequest): Promise<string> {
  try {
    const response = await glue.send(
      new StartJobRunCommand({ JobName: job.jobName, Arguments: jobArguments(request) }),
    );
    if (!response.JobRunId) throw new CommandError(`Glue StartJobRun on ${job.jobName} returned no run ID.`);
    return response.JobRunId;
  } catch (error) {
    if (error instanceof CommandError) throw error;
    const name = (error as Error).name;
    if (name === 'ConcurrentRunsExceededException') throw new CommandError(await concurrentRunMessage(glue, job));
    if (name === 'EntityNotFoundException') {
      throw new CommandError(
        `Glue job ${job.jobName} (output TokenizeJobName of ${job.stackName}) does not exist. Deploy the data stack first: npx cdk deploy ${job.stackName}`,
      );
    }
    throw awsFailure('Glue', 'StartJobRun', error);
  }
}

/** Names the run in progress when Glue can say which; the message stands without it. */
async function concurrentRunMessage(glue: GlueClient, job: RunRef): Promise<string> {
  const head = `Another run of Glue job ${job.jobName} is in progress, and the job allows one run at a time: nothing was started.`;
  try {
    const { JobRuns = [] } = await glue.send(new GetJobRunsCommand({ JobName: job.jobName, MaxResults: 10 }));
    const busy = JobRuns.find((r) => IN_PROGRESS.has(r.JobRunState ?? ''));
    if (busy?.Id) {
      const other = { ...job, runId: busy.Id };
      const name = busy.Arguments?.['--run'];
      return (
        `${head} It is ${busy.Id}${name ? ` (--run ${name})` : ''}, ${busy.JobRunState}. ` +
        `Wait for it to end (${getRunCommand(other)}) or stop it (${stopRunCommand(other)}), then start again.`
      );
    }
  } catch {
    // The lookup is a courtesy: fall back to the command that finds the run.
  }
  return `${head} Find it with: aws glue get-job-runs --job-name ${job.jobName} --max-items 5${regionFlag(job)}`;
}

/**
 * Polls the run until it ends. Prints a line on every state change and, while RUNNING, a progress line at most
 * every minute. Returns the exit code; with a timeout, stops following (never the run) when it passes.
 */
export async function followRun(glue: GlueClient, job: RunRef, out: Output, timeoutMinutes?: number): Promise<number> {
  const pollMs = (out.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000;
  const started = out.now();
  const deadline = timeoutMinutes === undefined ? Infinity : started + timeoutMinutes * 60_000;
  let lastState: string | undefined;
  let lastLineAt = started;

  for (;;) {
    const run = await getRun(glue, job);
    const state = run.JobRunState ?? 'UNKNOWN';
    const now = out.now();
    const stamp = `[${clock(now - started)}]`;
    const ended = state === 'SUCCEEDED' || ENDED_BADLY.has(state);
    if (state !== lastState || ended) {
      out.print(`${stamp} ${state}${ended ? usage(run, '; ') : ''}`);
      lastLineAt = now;
    } else if (state === 'RUNNING' && now - lastLineAt >= PROGRESS_EVERY_MS) {
      out.print(`${stamp} still RUNNING${usage(run, '; ')}`);
      lastLineAt = now;
    }
    lastState = state;

    if (state === 'SUCCEEDED') {
      out.print(`Manifest: ${manifestUri(job.datasetsBucketName, job.run)}`);
      return EXIT_CODES.succeeded;
    }
    if (ENDED_BADLY.has(state)) {
      out.print(
        `Run ${job.run} (${job.runId}) ended in ${state}: ${run.ErrorMessage || '(Glue gave no error message)'}`,
      );
      out.print(
        `Logs: CloudWatch Logs, streams that start with ${job.runId} under ${run.LogGroupName ?? '/aws-glue/jobs'}/`,
      );
      return EXIT_CODES.failed;
    }
    if (now >= deadline) {
      out.print(`Stopped following after ${timeoutMinutes} min; the run goes on (${state}).`);
      out.print(`  Look at it:  ${getRunCommand(job)}`);
      out.print(`  Stop it:     ${stopRunCommand(job)}`);
      out.print(`  Its manifest, once it succeeds: ${manifestUri(job.datasetsBucketName, job.run)}`);
      return EXIT_CODES.stillRunning;
    }
    await out.sleep(Math.min(pollMs, deadline - now));
  }
}

async function getRun(glue: GlueClient, job: RunRef): Promise<JobRun> {
  try {
    const response = await glue.send(
      new GetJobRunCommand({ JobName: job.jobName, RunId: job.runId, PredecessorsIncluded: false }),
    );
    if (!response.JobRun) throw new Error(`no JobRun for ${job.runId}`);
    return response.JobRun;
  } catch (error) {
    const failure = awsFailure('Glue', 'GetJobRun', error);
    throw new CommandError(`${failure.message} The run goes on; look at it with: ${getRunCommand(job)}`);
  }
}

/** Execution time and DPU-seconds when Glue reports them (DPU-seconds only for Flex and auto-scaling runs). */
function usage(run: JobRun, lead: string): string {
  const parts: string[] = [];
  if (run.ExecutionTime) parts.push(`execution time ${clock(run.ExecutionTime * 1000)}`);
  if (run.DPUSeconds) parts.push(`${new Intl.NumberFormat('en-US').format(run.DPUSeconds)} DPU-seconds`);
  return parts.length > 0 ? lead + parts.join(', ') : '';
}

/** h:mm:ss */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

function formatArguments(args: Record<string, string>): string {
  return Object.entries(args)
    .map(([flag, value]) => `${flag} ${value === '' ? "''" : value}`)
    .join(' ');
}

function regionFlag(job: RunRef): string {
  return job.region ? ` --region ${job.region}` : '';
}

function getRunCommand(job: RunRef): string {
  return `aws glue get-job-run --job-name ${job.jobName} --run-id ${job.runId}${regionFlag(job)}`;
}

function stopRunCommand(job: RunRef): string {
  return `aws glue batch-stop-job-run --job-name ${job.jobName} --job-run-ids ${job.runId}${regionFlag(job)}`;
}
