/**
 * The training Lambda: submits a run's training chain to the cluster, reports its jobs' states, or cancels them, by
 * running the head-node script `cpt-run.sh` through SSM Run Command (lib/training/contract.ts).
 *
 * Events (anything else is refused before any AWS call):
 *   {"action": "submit", "run": "<name>", "overrides"?: {"nodes": 8, "steps": 200, ...}}
 *   {"action": "submit", "run": "<name>", "resume": true}   continues the run from its newest checkpoint (after a
 *                                                     failed or cancelled chain), with its settings: no overrides
 *   {"action": "status", "run": "<name>"}
 *   {"action": "cancel", "run": "<name>"}
 *   {"action": "data-ready", "jobRunId": "jr_..."}   from the EventBridge rule on the tokenization job (when
 *                                                     autoSubmitOnDataReady is on): the run name is read from Glue.
 *
 * A submit reads the run's manifest (s3://<datasets>/datasets/<run>/manifest.json), works out the plan
 * (lib/training/plan.ts), with each stage's time limit, and sends it; submitting a run again returns its existing jobs
 * (created: false), and the script refuses a run that has checkpoints unless the request resumes it. Submit and
 * status pass on the state of the run's Neuron environment (built on the cluster after its creation): before it is
 * ready, the chain's first job is held (heldJob), and it starts by itself when the build ends. On a Capacity Block
 * (capacityType capacity-block), a submit describes the block with EC2 first and sets the request's stopBy before its
 * end (lib/training/capacity-block.ts), or refuses a block that cannot run the chain.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GetJobRunCommand, GlueClient } from '@aws-sdk/client-glue';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { RUN_NAME_PATTERN } from '../../lib/data/job-arguments';
import { NeuronEnvironmentState, REQUEST_VERSION, SubmitRequest, TrainRestarts } from '../../lib/training/contract';
import { readEnvironment, TrainingEnvironment } from './environment';
import { checkManifest, ManifestError, manifestKey } from '../../lib/training/manifest';
import { planRun, PlanSummary, resolveSettings, TrainingPlan } from '../../lib/training/plan';
import { InvalidRequestError, Overrides, parseEvent, RUN_NAME_ACCEPTED, show } from '../../lib/training/requests';
import { CapacityBlockAnswer, capacityBlockStop } from '../../lib/training/capacity-block';
import { describeCapacityBlock } from './capacity-block';
import { Clock, runScript, ScriptAnswer, ScriptError } from './head-node';
import { CLIENT_OPTIONS } from '../shared/client-options';

const logger = new Logger({ serviceName: 'trainium-training' });

const ssm = new SSMClient(CLIENT_OPTIONS);
const s3 = new S3Client(CLIENT_OPTIONS);
const glue = new GlueClient(CLIENT_OPTIONS);
const ec2 = new EC2Client(CLIENT_OPTIONS);

/** Time kept back from the function's timeout to report a head node that does not answer. */
export const RESERVE_MS = 15_000;
/** The wait for the head node when the runtime does not say how much time is left (tests, local runs). */
export const DEFAULT_BUDGET_MS = 270_000;

export interface SubmitResponse {
  readonly action: 'submit';
  readonly run: string;
  /** False when the run had been submitted before: these are its existing jobs, and this request changed nothing. */
  readonly created: boolean;
  readonly jobs: ScriptAnswer<'submit'>['jobs'];
  readonly runDir: string;
  /** The Neuron environment of the run's release (built after the cluster was created). */
  readonly neuronEnvironment?: NeuronEnvironmentState;
  /** Set while the chain's first job is held until that environment is ready. */
  readonly heldJob?: ScriptAnswer<'submit'>['heldJob'];
  /** As the script answered a resume: whether this chain continues the run, and from which checkpoint (null: none yet). */
  readonly resumed?: boolean;
  readonly resumeFrom?: string | null;
  /** Why nothing was submitted (created false): the chain completed, or ended and continues with a resume. */
  readonly message?: string;
  readonly commandId: string;
  readonly plan: PlanSummary;
  readonly warnings: readonly string[];
  /** What was sent to the script. */
  readonly request: SubmitRequest;
  /** Set when the tokenization job's success started this submission. */
  readonly trigger?: { readonly jobName: string; readonly jobRunId: string };
  /** With capacityType capacity-block: the block as EC2 described it, and the request's stopBy made from it. */
  readonly capacityBlock?: CapacityBlockAnswer;
}

export interface StatusResponse {
  readonly action: 'status';
  readonly run: string;
  readonly jobs: ScriptAnswer<'status'>['jobs'];
  readonly neuronEnvironment?: NeuronEnvironmentState;
  /** The train job's restarts after failures, as the script reports them. */
  readonly restarts?: TrainRestarts;
  readonly commandId: string;
}

export interface CancelResponse {
  readonly action: 'cancel';
  readonly run: string;
  readonly cancelled: string[];
  readonly commandId: string;
}

export type TrainingResponse = SubmitResponse | StatusResponse | CancelResponse;

interface LambdaContext {
  getRemainingTimeInMillis?(): number;
}

const realClock: Clock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/** The handler, with the clock passed in (tests drive the polling with a fake one). */
export function createHandler(clock: Clock = realClock) {
  return async (event: unknown, context?: LambdaContext): Promise<TrainingResponse> => {
    try {
      const request = parseEvent(event);
      logger.info('request', { request });
      const env = readEnvironment(process.env);
      const remaining = context?.getRemainingTimeInMillis?.() ?? DEFAULT_BUDGET_MS + RESERVE_MS;
      const deadline = clock.now() + Math.max(0, remaining - RESERVE_MS);
      const target = { instanceId: env.headNodeInstanceId, documentName: env.documentName };

      let response: TrainingResponse;
      switch (request.action) {
        case 'submit':
          response = await submit(env, request.run, request.overrides, request.resume ?? false, clock, deadline);
          break;
        case 'data-ready': {
          const jobName = env.tokenizeJobName;
          const run = await runOfJobRun(env, request.jobRunId);
          response = {
            ...(await submit(env, run, undefined, false, clock, deadline)),
            trigger: { jobName: jobName as string, jobRunId: request.jobRunId },
          };
          break;
        }
        case 'status': {
          const { run, jobs, neuronEnvironment, restarts, commandId } = await runScript(
            ssm,
            target,
            'status',
            { version: REQUEST_VERSION, run: request.run },
            clock,
            deadline,
          );
          response = {
            action: 'status',
            run,
            jobs,
            ...(neuronEnvironment && { neuronEnvironment }),
            ...(restarts && { restarts }),
            commandId,
          };
          break;
        }
        case 'cancel': {
          const { run, cancelled, commandId } = await runScript(
            ssm,
            target,
            'cancel',
            { version: REQUEST_VERSION, run: request.run },
            clock,
            deadline,
          );
          response = { action: 'cancel', run, cancelled, commandId };
          break;
        }
      }
      logger.info('response', { response });
      return response;
    } catch (error) {
      const err = error as Error;
      logger.error('refused or failed', { errorName: err.name, errorMessage: err.message });
      throw error;
    }
  };
}

export const handler = createHandler();

async function submit(
  env: TrainingEnvironment,
  run: string,
  overrides: Overrides | undefined,
  resume: boolean,
  clock: Clock,
  deadline: number,
): Promise<SubmitResponse> {
  // The settings are checked before anything is read: a bad request costs no AWS call.
  resolveSettings(env.defaults, overrides);
  const text = await readManifest(env.datasetsBucket, run);
  const manifest = checkManifest(text, {
    run,
    datasetsBucket: env.datasetsBucket,
    sequenceLength: env.defaults.sequenceLength,
  });
  const plan = planRun({
    run,
    manifest,
    defaults: env.defaults,
    overrides,
    locations: {
      datasetsBucket: env.datasetsBucket,
      checkpointsBucket: env.checkpointsBucket,
      hfTokenSecretArn: env.hfTokenSecretArn,
    },
    resume,
  });
  const { request, warnings, capacityBlock } = await withCapacityBlock(env, run, plan, clock.now());
  logger.info('plan', { plan, ...(capacityBlock && { capacityBlock }) });
  const target = { instanceId: env.headNodeInstanceId, documentName: env.documentName };
  const answer = await runScript(ssm, target, 'submit', request, clock, deadline);
  if (answer.run !== run) throw new ScriptError(`cpt-run.sh submit answered for run ${show(answer.run)}, not ${run}.`);
  return {
    action: 'submit',
    run,
    created: answer.created,
    jobs: answer.jobs,
    runDir: answer.runDir,
    ...(answer.neuronEnvironment && { neuronEnvironment: answer.neuronEnvironment }),
    ...(answer.heldJob && { heldJob: answer.heldJob }),
    ...(answer.resumed !== undefined && { resumed: answer.resumed }),
    ...(answer.resumeFrom !== undefined && { resumeFrom: answer.resumeFrom }),
    ...(answer.message !== undefined && { message: answer.message }),
    commandId: answer.commandId,
    plan: plan.summary,
    warnings,
    request,
    ...(capacityBlock && { capacityBlock }),
  };
}

/**
 * On a Capacity Block (capacityType capacity-block), the request with its stopBy, from the block EC2 describes; the
 * plan's request as it is otherwise, without any EC2 call.
 */
async function withCapacityBlock(
  env: TrainingEnvironment,
  run: string,
  plan: TrainingPlan,
  now: number,
): Promise<{ request: SubmitRequest; warnings: readonly string[]; capacityBlock?: CapacityBlockAnswer }> {
  const reservationId = env.defaults.capacityReservationId;
  if (env.defaults.capacityType !== 'capacity-block' || reservationId === undefined) {
    return { request: plan.request, warnings: plan.warnings };
  }
  const block = await describeCapacityBlock(ec2, reservationId);
  const { stopBy, warnings, answer } = capacityBlockStop({ block, now, timeLimits: plan.timeLimits, run });
  return { request: { ...plan.request, stopBy }, warnings: [...plan.warnings, ...warnings], capacityBlock: answer };
}

async function readManifest(bucket: string, run: string): Promise<string> {
  const key = manifestKey(run);
  const uri = `s3://${bucket}/${key}`;
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!response.Body) throw new ManifestError(uri, ['S3 returned no body']);
    return await response.Body.transformToString('utf8');
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    const err = error as Error;
    // The role may read manifests but not list the bucket, so S3 answers AccessDenied for a missing one.
    if (err.name === 'NoSuchKey' || err.name === 'AccessDenied') {
      throw new ManifestError(uri, [
        `no manifest (S3 ${err.name}): run ${run} has not been tokenized, or its tokenization has not succeeded yet. ` +
          `Tokenize it first: npm run tokenize -- --run ${run}`,
      ]);
    }
    throw new ManifestError(uri, [`S3 GetObject failed (${err.name}: ${err.message})`]);
  }
}

/** The run name of a tokenization job run: its `--run` argument, read from Glue (the event carries only the run ID). */
async function runOfJobRun(env: TrainingEnvironment, jobRunId: string): Promise<string> {
  const jobName = env.tokenizeJobName;
  if (!jobName) {
    throw new InvalidRequestError([
      'action = "data-ready": automatic submission is off (autoSubmitOnDataReady is false in the deployed configuration)',
    ]);
  }
  let jobRun;
  try {
    ({ JobRun: jobRun } = await glue.send(
      new GetJobRunCommand({ JobName: jobName, RunId: jobRunId, PredecessorsIncluded: false }),
    ));
  } catch (error) {
    const err = error as Error;
    throw new Error(`Glue GetJobRun on ${jobName} run ${jobRunId} failed (${err.name}: ${err.message}).`, {
      cause: error,
    });
  }
  if (jobRun?.JobRunState !== 'SUCCEEDED') {
    throw new InvalidRequestError([
      `jobRunId = ${show(jobRunId)}: the run of ${jobName} is ${jobRun?.JobRunState ?? 'unknown'}, not SUCCEEDED`,
    ]);
  }
  const run = jobRun.Arguments?.['--run'];
  if (typeof run !== 'string' || !RUN_NAME_PATTERN.test(run)) {
    throw new InvalidRequestError([
      `--run of ${jobName} run ${jobRunId} = ${show(run)}: not a run name. Accepted: ${RUN_NAME_ACCEPTED}`,
    ]);
  }
  logger.info('tokenization run succeeded', { jobName, jobRunId, run });
  return run;
}
