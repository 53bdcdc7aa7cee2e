import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCommandInvocationCommandOutput, SSMClient } from '@aws-sdk/client-ssm';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULTS_CONTEXT_KEY, loadConfig } from '../../lib/config/load';
import { CptConfig } from '../../lib/config/schema';
import { ENV } from '../../lib/training/contract';
import { trainingDefaults } from '../../lib/training/plan';
import { mockSdkClients } from '../support/sdk-mocks';

/** Shared fixtures of the training Lambda's tests: its environment, a manifest, the script's answers, a clock. */

export const INSTANCE_ID = 'i-0123456789abcdef0';
export const DATASETS = 'trainium-cpt-data-bucketsdatasets-1a2b3c4d';
export const CHECKPOINTS = 'trainium-cpt-data-bucketscheckpoints-5e6f7a8b';
export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf';
/** A name as CloudFormation generates it for the stack's Command document. */
export const DOCUMENT_NAME = 'trainium-cpt-training-TrainingCommandDocumentA1B2C3D4-Ab12Cd34Ef56';
export const JOB_NAME = 'trainium-cpt-tokenize';
export const ATTEMPT = 'attempt-20260101T000000Z-a1b2c3';
export const COMMAND_ID = '8c4f0a52-1111-2222-3333-444455556666';
/** The document's parameters, written out: one of three actions, and a request of standard base64. */
export const ACTION_SHAPE = /^(submit|status|cancel)$/;
export const BASE64_SHAPE = /^[A-Za-z0-9+/]*={0,2}$/;

/** The configuration defaults of cdk.json (read without loading the CDK app: these tests need no synthesis). */
export const CDK_JSON_DEFAULTS: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context[DEFAULTS_CONTEXT_KEY];

/** The configuration of cdk.json, with overrides. */
export function configWith(overrides: Partial<CptConfig> = {}): CptConfig {
  return loadConfig({ [DEFAULTS_CONTEXT_KEY]: { ...CDK_JSON_DEFAULTS, ...overrides } });
}

/** Sets the environment the stack gives the function (with the default configuration). */
export function setFunctionEnvironment(options: { autoSubmit?: boolean } = {}): void {
  process.env.AWS_REGION = 'us-east-1';
  process.env[ENV.documentName] = DOCUMENT_NAME;
  process.env[ENV.defaults] = JSON.stringify(trainingDefaults(configWith()));
  process.env[ENV.headNodeInstanceId] = INSTANCE_ID;
  process.env[ENV.datasetsBucket] = DATASETS;
  process.env[ENV.checkpointsBucket] = CHECKPOINTS;
  process.env[ENV.hfTokenSecretArn] = SECRET_ARN;
  if (options.autoSubmit) process.env[ENV.tokenizeJobName] = JOB_NAME;
  else delete process.env[ENV.tokenizeJobName];
}

/** Stubs of the training function's SDK clients, and its environment: both set afresh before each test. */
export function mockFunctionClients(options: { autoSubmit?: boolean } = {}) {
  const stubs = mockSdkClients({ ssm: SSMClient, s3: S3Client, glue: GlueClient });
  beforeEach(() => setFunctionEnvironment(options));
  return stubs;
}

export const setUri = (run: string, set: string) => `s3://${DATASETS}/datasets/${run}/${ATTEMPT}/${set}`;

/** A manifest as glue/src/cpt_data/pipeline.py build_manifest writes it (the parts training reads, and a few more). */
export function manifest(
  run = 'r1',
  overrides: { trainRows?: number; domainRows?: number; generalRows?: number; sequenceLength?: number } = {},
) {
  const { trainRows = 100_000, domainRows = 120, generalRows = 30, sequenceLength = 4096 } = overrides;
  const shard = (rows: number) => [{ file: 'data-00000-of-00001.arrow', rows }];
  return {
    run,
    attempt: ATTEMPT,
    created: '2026-01-01T00:10:00Z',
    codeVersion: '0.1.0+abc',
    parameters: { sequenceLength, generalShare: 0.01, heldOutShare: 0.001, seed: 42, addEos: false },
    mixing: { trainRows },
    sets: {
      train: { path: setUri(run, 'train'), rows: trainRows, shards: shard(trainRows) },
      eval_domain: { path: setUri(run, 'eval_domain'), rows: domainRows, shards: shard(domainRows) },
      eval_general: { path: setUri(run, 'eval_general'), rows: generalRows, shards: shard(generalRows) },
    },
  };
}

/** A GetObject answer whose body is this text. */
export function objectBody(text: string) {
  return { Body: { transformToString: async () => text } } as never;
}

/** A finished invocation of the script. */
export function invocation(
  stdout: string,
  status: GetCommandInvocationCommandOutput['Status'] = 'Success',
  more: Partial<GetCommandInvocationCommandOutput> = {},
): GetCommandInvocationCommandOutput {
  return {
    $metadata: {},
    CommandId: COMMAND_ID,
    InstanceId: INSTANCE_ID,
    Status: status,
    StatusDetails: status,
    ResponseCode: status === 'Success' ? 0 : 1,
    StandardOutputContent: stdout,
    StandardErrorContent: '',
    ...more,
  };
}

/** An entry of the train job's restart history, as cpt-run.sh reports it (attempt 1: a failed step on one node). */
export const restartEntry = (attempt: number, more: Record<string, unknown> = {}) => ({
  attempt,
  jobId: '103',
  exitCode: 1,
  reason: 'NonZeroExitCode',
  drainedNodes: ['ip-10-0-1-5'],
  time: '2026-01-02T03:04:05Z',
  ...more,
});

/** The training function's answer to submit of run r1 (the script's submitLine() and the command), and more fields. */
export const submitResponse = <T extends Record<string, unknown>>(more: T = {} as T) => ({
  action: 'submit',
  run: 'r1',
  created: true,
  jobs: JOBS,
  runDir: '/fsx/checkpoints/r1',
  commandId: COMMAND_ID,
  ...more,
});

/** The training function's answer to status of run r1: these jobs, and more fields. */
export const statusResponse = (jobs: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  action: 'status',
  run: 'r1',
  commandId: COMMAND_ID,
  jobs,
  ...more,
});

export const JOBS = { prepare: '101', compile: '102', train: '103', export: '104', evaluate: '105' };
export const submitLine = (run = 'r1', created = true) =>
  JSON.stringify({ run, created, jobs: JOBS, runDir: `/fsx/checkpoints/${run}` });

/** A fake clock: sleeping moves it forward, so a wait of minutes takes no time. */
export function fakeClock() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    elapsed: () => now - 1_000_000,
    clock: {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    },
  };
}

/** The Lambda context of a function with `ms` left. */
export const contextWith = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

/**
 * The Parameters of a SendCommand, checked against the document's (exactly `action` and `request`, one value each,
 * of their shapes), with the request decoded.
 */
export function decodeParameters(parameters: Record<string, string[]> | undefined): {
  action: string;
  request: unknown;
} {
  const keys = Object.keys(parameters ?? {}).sort();
  if (JSON.stringify(keys) !== '["action","request"]') throw new Error(`parameters ${JSON.stringify(keys)}`);
  const { action, request } = parameters as { action: string[]; request: string[] };
  if (action.length !== 1 || !ACTION_SHAPE.test(action[0])) throw new Error(`action ${JSON.stringify(action)}`);
  if (request.length !== 1 || !BASE64_SHAPE.test(request[0])) throw new Error(`request ${JSON.stringify(request)}`);
  return { action: action[0], request: JSON.parse(Buffer.from(request[0], 'base64').toString('utf8')) };
}

/**
 * The stages' time limits of run r1 under the default configuration (16 nodes, global batch 2,048, rows of 4,096,
 * a checkpoint every 500 steps, 3 kept, both held-out sets; FSx of 2,400 GiB at 500 MB/s per TiB: 1,171.9 MB/s, a
 * checkpoint save of 1.39 min), worked out by hand as in lib/plan/time-limits.ts: only train, export and evaluate
 * depend on the steps. E.g. 147 steps: train 5 + 5 + 1.39 + (61.95 training + 1.39 saving) × 1.5 = 106.4 → 107.
 */
export const DEFAULT_TIME_LIMITS: Record<
  number,
  { prepare: number; compile: number; train: number; export: number; evaluate: number }
> = {
  // 3 checkpoints (500, 1,000, 1,465), all exported: 4 models evaluated.
  1465: { prepare: 43, compile: 190, train: 944, export: 97, evaluate: 269 },
  // 1 checkpoint (147): 1 exported, 2 models evaluated.
  147: { prepare: 43, compile: 190, train: 107, export: 36, evaluate: 137 },
};

/**
 * --max_steps of run r1 for its steps, worked out by hand: the learning rate decays from 1.5e-4 after 100 warm-up steps
 * to minLearningRate 1.5e-5 at `steps`, so the line reaches 0 at 100 + round((steps − 100) ÷ (1 − 0.1)).
 */
export const DEFAULT_SCHEDULE_STEPS: Record<number, number> = {
  1465: 100 + 1517, // 1,365 ÷ 0.9 = 1,516.7
  147: 100 + 52, // 47 ÷ 0.9 = 52.2
};

/** The head-node request of run r1 under the default configuration (the manifest() fixture) for `steps` steps. */
export function defaultSubmitRequest(steps: number, resume = false) {
  const timeLimits = DEFAULT_TIME_LIMITS[steps];
  if (!timeLimits) throw new Error(`no time limits worked out for ${steps} steps: add them to DEFAULT_TIME_LIMITS`);
  return {
    version: 2,
    run: 'r1',
    nodes: 16,
    tensorParallel: 8,
    sequenceLength: 4096,
    globalBatch: 2048,
    microBatch: 1,
    steps,
    warmupSteps: 100,
    learningRate: 0.00015,
    minLearningRate: 0.000015,
    checkpointEvery: 500,
    checkpointsKept: 3,
    compileSteps: 10,
    trainPath: `/fsx/datasets/r1/${ATTEMPT}/train`,
    evalPaths: {
      domain: `/fsx/datasets/r1/${ATTEMPT}/eval_domain`,
      general: `/fsx/datasets/r1/${ATTEMPT}/eval_general`,
    },
    baseModel: 'meta-llama/Llama-2-7b-hf',
    hfTokenSecretArn: SECRET_ARN,
    exportS3Uri: `s3://${CHECKPOINTS}/exports/r1/`,
    reportS3Uri: `s3://${CHECKPOINTS}/reports/r1/`,
    neuronRelease: '2.28.1',
    partition: 'trn',
    maxTrainRestarts: 3,
    timeLimits,
    resume,
    // 16 nodes × 32 NeuronCores ÷ TP 8 = 64 replicas; 2,048 ÷ (64 × micro batch 1) = 32 micro-batches each.
    derived: {
      coresPerNode: 32,
      devicesPerNode: 16,
      dataParallel: 64,
      gradientAccumulation: 32,
      scheduleSteps: DEFAULT_SCHEDULE_STEPS[steps],
      loggingInterval: 10,
      tokensPerStep: 2048 * 4096,
    },
  };
}
