import { z } from 'zod';
import { FSX_DATASETS_PATH, FSX_MOUNT_DIR } from '../cluster/cluster-config';
import { FIELDS } from '../config/fields';
import { RUN_NAME_PATTERN } from '../data/job-arguments';
import { NEURON_CORES_PER_NODE, NEURON_DEVICES_PER_NODE, TENSOR_PARALLEL_DEGREES } from '../run/hardware';
import { MAX_TIME_LIMIT_MINUTES, REQUEST_VERSION, STAGES, type Stage } from './contract';

/**
 * The requests the training function sends to cpt-run.sh (lib/training/contract.ts), as zod schemas: each field with
 * its own limits, taken from the configuration's field where the field comes from a configuration key. The rules
 * between fields are not here: they are decided before a request is made (lib/run/rules.ts), and only their results
 * travel (`derived`). `npm run request-schema` writes these schemas as JSON Schema to
 * cluster/training/request.schema.json, from which the cluster checks each field; so a field's schema may only use
 * what JSON Schema says (no refine, no transform), and patterns read the same in JavaScript and Python ([0-9], not \d).
 */

const integer = (minimum: number) => z.number().int().min(minimum);

/** `/fsx/datasets/<run>/<attempt>/<set>`: a folder under the datasets link of FSx, no `.` or `..` component. */
const DATASET_PATH = new RegExp(`^${FSX_MOUNT_DIR}${FSX_DATASETS_PATH}(/(?!\\.{1,2}(/|$))[A-Za-z0-9._+=@-]+)+/?$`);
const datasetPath = z.string().regex(DATASET_PATH);

/** Per-field schemas shared with the events and the defaults of the training function (lib/training/requests.ts). */
export const REQUEST_FIELDS = {
  run: z.string().regex(RUN_NAME_PATTERN),
  tensorParallel: z.literal(TENSOR_PARALLEL_DEGREES as [number, ...number[]]),
  steps: integer(1),
  minLearningRate: z
    .number()
    .min(0)
    .lt(FIELDS.learningRate.schema.maxValue as number),
  compileSteps: integer(1),
  /** ParallelCluster queue names. */
  partition: z.string().regex(/^[a-z][a-z0-9-]{0,24}$/),
  s3Uri: z.string().regex(/^s3:\/\/[a-z0-9.-]{3,63}\/[A-Za-z0-9!_.*'()/-]*$/),
  secretArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/),
  timeLimit: z.number().int().min(1).max(MAX_TIME_LIMIT_MINUTES),
} as const;

/** The numbers decided once in TypeScript (lib/run/derive.ts): the cluster formats them as flags. */
const DERIVED = z.strictObject({
  coresPerNode: z
    .literal(NEURON_CORES_PER_NODE)
    .describe('NeuronCores per node: torchrun --nproc_per_node, NEURON_RT_NUM_CORES, the preflight checks'),
  devicesPerNode: z
    .literal(NEURON_DEVICES_PER_NODE)
    .describe("Neuron devices per node: the preflight's neuron-ls check"),
  dataParallel: integer(1).describe('nodes × coresPerNode ÷ tensorParallel'),
  gradientAccumulation: integer(1).describe('globalBatch ÷ (dataParallel × microBatch): --grad_accum_usteps'),
  scheduleSteps: integer(1).describe(
    '--max_steps: where the linear learning-rate decay reaches 0, so that the rate at `steps` is minLearningRate',
  ),
  loggingInterval: integer(1).describe('--logging_interval: steps between two step lines of the train log'),
  tokensPerStep: integer(1).describe("globalBatch × sequenceLength: the report's trained tokens per step"),
});

/** What `submit` asks the script for (field order as in the contract). */
export const SUBMIT_REQUEST = z.strictObject({
  version: z.literal(REQUEST_VERSION),
  run: REQUEST_FIELDS.run,
  nodes: FIELDS.nodeCount.schema,
  tensorParallel: REQUEST_FIELDS.tensorParallel,
  sequenceLength: FIELDS.sequenceLength.schema,
  globalBatch: FIELDS.globalBatchSize.schema,
  microBatch: FIELDS.microBatchSize.schema,
  steps: REQUEST_FIELDS.steps,
  warmupSteps: FIELDS.warmupSteps.schema,
  learningRate: FIELDS.learningRate.schema,
  minLearningRate: REQUEST_FIELDS.minLearningRate,
  checkpointEvery: FIELDS.checkpointEverySteps.schema,
  checkpointsKept: FIELDS.checkpointsKept.schema,
  compileSteps: REQUEST_FIELDS.compileSteps,
  trainPath: datasetPath.describe('the training set on FSx: /fsx/datasets/<run>/<attempt>/train'),
  evalPaths: z.strictObject({ domain: datasetPath, general: datasetPath.nullable() }),
  baseModel: FIELDS.baseModelId.schema,
  hfTokenSecretArn: REQUEST_FIELDS.secretArn,
  exportS3Uri: REQUEST_FIELDS.s3Uri,
  reportS3Uri: REQUEST_FIELDS.s3Uri,
  neuronRelease: FIELDS.neuronSdkVersion.schema,
  partition: REQUEST_FIELDS.partition.describe('Slurm partition (the ParallelCluster queue)'),
  maxTrainRestarts: FIELDS.maxTrainRestarts.schema.describe(
    'times the train job requeues itself after a failure: from its newest checkpoint, after draining the nodes that fail their checks',
  ),
  timeLimits: z
    .strictObject(
      Object.fromEntries(STAGES.map((stage) => [stage, REQUEST_FIELDS.timeLimit])) as Record<
        Stage,
        typeof REQUEST_FIELDS.timeLimit
      >,
    )
    .describe("each stage's Slurm time limit in whole minutes, derived from the plan (lib/plan/time-limits.ts)"),
  stopBy: z
    .string()
    .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/)
    .optional()
    .describe(
      "UTC time by which training has stopped at a completed checkpoint (capacityType capacity-block only): the Capacity Block's end less the 30 minutes before it at which EC2 begins terminating its instances, one checkpoint save and a 10-minute margin (lib/training/capacity-block.ts)",
    ),
  resume: z
    .boolean()
    .describe('continue the run: the script refuses a run name that has checkpoints unless this is true'),
  derived: DERIVED,
});

/** What `status` and `cancel` ask for. */
export const RUN_REQUEST = z.strictObject({ version: z.literal(REQUEST_VERSION), run: REQUEST_FIELDS.run });

export type SubmitRequest = z.infer<typeof SUBMIT_REQUEST>;
export type RunRequest = z.infer<typeof RUN_REQUEST>;
export type ScriptRequest = SubmitRequest | RunRequest;
