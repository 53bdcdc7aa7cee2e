import { NEURON_CORES_PER_NODE } from '../config/fields';
import { CptConfig } from '../config/schema';
import { QUEUE_NAME } from '../cluster/cluster-config';
import { deriveTimeLimits, formatLimit, TimeLimits } from '../plan/time-limits';
import { MAX_TIME_LIMIT_MINUTES, REQUEST_VERSION, STAGES, SubmitRequest } from './contract';
import { datasetPathOnCluster, ManifestFacts } from './manifest';
import { memoryWarnings } from './memory-fit';
import { savedSteps } from './saved-steps';
import {
  InvalidRequestError,
  OVERRIDE_KEYS,
  OVERRIDE_RULES,
  OverrideKey,
  Overrides,
  TrainingDefaults,
} from './requests';

/**
 * The plan of a training run, worked out from the configuration, the run's overrides and its manifest: the
 * parallelism, the number of optimizer steps, the schedule, and where everything is. Pure: the Lambda and the CLI
 * share it, and the tests drive it directly.
 */

/** Optimizer steps of the compile stage (neuron_parallel_compile traces a few steps to fill the compiler cache). */
export const COMPILE_STEPS = 10;
/** The learning rate decays to its peak divided by this unless minLearningRate is given. */
export const MIN_LEARNING_RATE_DIVISOR = 10;
/** Key prefixes, in the checkpoints bucket, of a run's exported model and its evaluation report. */
export const EXPORTS_PREFIX = 'exports/';
export const REPORTS_PREFIX = 'reports/';

/** The defaults the stack gives the Lambda (env TRAINING_DEFAULTS), from the configuration. */
export function trainingDefaults(config: CptConfig): TrainingDefaults {
  return {
    nodes: config.nodeCount,
    tensorParallel: config.tensorParallelDegree,
    sequenceLength: config.sequenceLength,
    globalBatch: config.globalBatchSize,
    microBatch: config.microBatchSize,
    learningRate: config.learningRate,
    warmupSteps: config.warmupSteps,
    epochs: config.epochs,
    checkpointEvery: config.checkpointEverySteps,
    checkpointsKept: config.checkpointsKept,
    compileSteps: COMPILE_STEPS,
    baseModel: config.baseModelId,
    neuronRelease: config.neuronSdkVersion,
    partition: QUEUE_NAME,
    maxTrainRestarts: config.maxTrainRestarts,
    ...(config.measuredTokensPerSecondPerNode !== undefined && {
      measuredTokensPerSecondPerNode: config.measuredTokensPerSecondPerNode,
    }),
    fsxThroughputPerTiB: config.fsxThroughputPerTiB,
    fsxStorageGiB: config.fsxStorageGiB,
  };
}

/** The settings of one run: the defaults with its overrides applied. */
export interface Settings {
  readonly nodes: number;
  readonly tensorParallel: number;
  readonly sequenceLength: number;
  readonly globalBatch: number;
  readonly microBatch: number;
  readonly learningRate: number;
  readonly minLearningRate: number;
  readonly warmupSteps: number;
  readonly epochs: number;
  /** Set only by an override; otherwise the epochs decide. */
  readonly steps?: number;
  readonly checkpointEvery: number;
  readonly checkpointsKept: number;
}

/** Model replicas over all nodes: nodes × 32 NeuronCores ÷ tensor-parallel degree. */
export function dataParallelDegree(nodes: number, tensorParallel: number): number {
  return (nodes * NEURON_CORES_PER_NODE) / tensorParallel;
}

/**
 * Optimizer steps for `epochs` passes over `rows` rows: ceil(rows × epochs ÷ globalBatch). Fractional epochs are
 * allowed; a product that floating point puts a hair above a whole number (1000 × 0.1 = 100.00000000000001) does
 * not cost a step.
 */
export function stepsFor(rows: number, epochs: number, globalBatch: number): number {
  const exact = (rows * epochs) / globalBatch;
  return Math.max(1, Math.ceil(exact - Math.max(1, exact) * 1e-12));
}

/**
 * Applies the overrides to the defaults and checks the rules that involve several settings; every problem at once.
 * Needs no manifest: the CLI runs it before it invokes anything.
 */
export function resolveSettings(defaults: TrainingDefaults, overrides: Overrides = {}): Settings {
  const merged = {
    nodes: overrides.nodes ?? defaults.nodes,
    tensorParallel: overrides.tensorParallel ?? defaults.tensorParallel,
    sequenceLength: defaults.sequenceLength,
    globalBatch: overrides.globalBatch ?? defaults.globalBatch,
    microBatch: overrides.microBatch ?? defaults.microBatch,
    learningRate: overrides.learningRate ?? defaults.learningRate,
    warmupSteps: overrides.warmupSteps ?? defaults.warmupSteps,
    epochs: overrides.epochs ?? defaults.epochs,
    steps: overrides.steps,
    checkpointEvery: overrides.checkpointEvery ?? defaults.checkpointEvery,
    checkpointsKept: overrides.checkpointsKept ?? defaults.checkpointsKept,
  };
  const settings: Settings = {
    ...merged,
    // 12 significant digits: 3e-4 ÷ 10 is 3e-5 in the request, not 2.9999999999999997e-5.
    minLearningRate:
      overrides.minLearningRate ?? Number((merged.learningRate / MIN_LEARNING_RATE_DIVISOR).toPrecision(12)),
  };
  const source = (key: OverrideKey) => (overrides[key] !== undefined ? 'override' : 'default');
  const at = (key: OverrideKey, value: number) => `${key} = ${value} (${source(key)})`;
  const problems: string[] = [];

  if (settings.nodes > defaults.nodes) {
    problems.push(
      `${at('nodes', settings.nodes)}: more than the ${defaults.nodes} nodes of the cluster's queue (nodeCount). Accepted: an integer from 1 to ${defaults.nodes}`,
    );
  }
  if (settings.sequenceLength % settings.tensorParallel !== 0) {
    problems.push(
      `${at('tensorParallel', settings.tensorParallel)}: does not divide sequenceLength ${settings.sequenceLength} (sequence parallelism splits each row over the tensor-parallel ranks). Accepted: ${OVERRIDE_RULES.tensorParallel.accepted}`,
    );
  }
  const replicas = dataParallelDegree(settings.nodes, settings.tensorParallel);
  const perStep = replicas * settings.microBatch;
  if (settings.globalBatch % perStep !== 0) {
    problems.push(
      `${at('globalBatch', settings.globalBatch)}: not a multiple of ${perStep} = data-parallel degree ${replicas} ` +
        `(${settings.nodes} nodes × ${NEURON_CORES_PER_NODE} cores ÷ TP ${settings.tensorParallel}) × microBatch ${settings.microBatch}. ` +
        `Accepted: ${OVERRIDE_RULES.globalBatch.accepted}`,
    );
  }
  if (settings.minLearningRate >= settings.learningRate) {
    problems.push(
      `${at('minLearningRate', settings.minLearningRate)}: not below learningRate ${settings.learningRate} (${source('learningRate')}), from which it decays. Accepted: ${OVERRIDE_RULES.minLearningRate.accepted}`,
    );
  }
  if (settings.checkpointEvery < 2) {
    problems.push(
      `${at('checkpointEvery', settings.checkpointEvery)}: the compile stage runs at least one step and stays below checkpointEvery, so that it never writes a checkpoint training would resume from. Accepted: an integer of at least 2`,
    );
  }
  if (overrides.steps !== undefined && overrides.epochs !== undefined) {
    problems.push(
      `steps = ${overrides.steps} and epochs = ${overrides.epochs} (overrides): give one of them, not both`,
    );
  }
  if (problems.length > 0) throw new InvalidRequestError(problems);
  return settings;
}

/** Where the run's inputs and outputs are (bucket names and the secret come from the stacks). */
export interface Locations {
  readonly datasetsBucket: string;
  readonly checkpointsBucket: string;
  readonly hfTokenSecretArn: string;
}

/** The plan in numbers, for people: what the request implies. */
export interface PlanSummary {
  readonly dataParallel: number;
  /** Micro-batches each replica accumulates per optimizer step. */
  readonly gradientAccumulation: number;
  readonly trainRows: number;
  readonly steps: number;
  /** Where the steps come from: the epochs (default) or a steps override. */
  readonly stepsFrom: 'epochs' | 'steps';
  /** Passes over the training set the steps make: the requested epochs, rounded up to whole steps. */
  readonly epochs: number;
  readonly tokensPerStep: number;
  readonly trainTokens: number;
  readonly evalDomainRows: number;
  readonly evalGeneralRows: number;
  readonly attempt: string;
  /** The overrides that were applied. */
  readonly overrides: Overrides;
  /**
   * The steps the run saves a checkpoint at: the multiples of checkpointEvery up to steps, and steps itself (every
   * run ends with its last step saved). The newest checkpointsKept stay on FSx; all reach S3.
   */
  readonly savedSteps: number[];
}

export interface TrainingPlan {
  readonly request: SubmitRequest;
  readonly summary: PlanSummary;
  /** How each stage's time limit (request.timeLimits) was derived. */
  readonly timeLimits: TimeLimits;
  /** Things that will work, but probably not as intended. */
  readonly warnings: readonly string[];
}

export interface PlanInput {
  readonly run: string;
  readonly manifest: ManifestFacts;
  readonly defaults: TrainingDefaults;
  readonly overrides?: Overrides;
  readonly locations: Locations;
  /** Continue the run from its newest checkpoint (default false). */
  readonly resume?: boolean;
}

/** The request for the head-node script, with its summary. Throws InvalidRequestError when the settings cannot run. */
export function planRun(input: PlanInput): TrainingPlan {
  const { run, manifest, defaults, locations } = input;
  const overrides = input.overrides ?? {};
  const settings = resolveSettings(defaults, overrides);
  const rows = manifest.train.rows;
  const steps = settings.steps ?? stepsFor(rows, settings.epochs, settings.globalBatch);

  if (settings.warmupSteps > 0 && settings.warmupSteps >= steps) {
    const from =
      settings.steps !== undefined
        ? 'the steps override'
        : `${settings.epochs} epochs of ${rows} rows at a global batch of ${settings.globalBatch}`;
    throw new InvalidRequestError([
      `warmupSteps = ${settings.warmupSteps} (${overrides.warmupSteps !== undefined ? 'override' : 'default'}): not below the run's ${steps} steps (${from}). Accepted: an integer from 0 to ${steps - 1}`,
    ]);
  }
  const warnings: string[] = [];
  if (rows < settings.globalBatch) {
    warnings.push(
      `the training set (${rows} rows) is smaller than one global batch (${settings.globalBatch}): each step repeats rows`,
    );
  }
  if (settings.checkpointEvery > steps) {
    warnings.push(
      `checkpointEvery ${settings.checkpointEvery} is more than the run's ${steps} steps: the run saves exactly one checkpoint, the final one (step ${steps}); ` +
        'a failure before it restarts training from the base model',
    );
  }
  warnings.push(
    ...memoryWarnings(settings, {
      tensorParallel: 'tensorParallel',
      sequenceLength: 'sequenceLength',
      microBatch: 'microBatch',
    }),
  );

  const dataParallel = dataParallelDegree(settings.nodes, settings.tensorParallel);
  const timeLimits = deriveTimeLimits({
    nodes: settings.nodes,
    steps,
    globalBatch: settings.globalBatch,
    sequenceLength: settings.sequenceLength,
    checkpointEvery: settings.checkpointEvery,
    checkpointsKept: settings.checkpointsKept,
    measuredTokensPerSecondPerNode: defaults.measuredTokensPerSecondPerNode,
    fsxThroughputPerTiB: defaults.fsxThroughputPerTiB,
    fsxStorageGiB: defaults.fsxStorageGiB,
    evalSets: manifest.evalGeneral ? 2 : 1,
  });
  for (const stage of STAGES.filter((s) => timeLimits.stages[s].capped)) {
    warnings.push(
      `the ${stage} stage would need about ${formatLimit(Math.ceil(timeLimits.stages[stage].exactMinutes))}, more than the longest time limit a request may set ` +
        `(${formatLimit(MAX_TIME_LIMIT_MINUTES)}): its job stops at that limit and continues from its newest checkpoint only as a restart (maxTrainRestarts) ` +
        `or with npm run submit -- --run ${run} --resume; more nodes shorten it`,
    );
  }
  const onCluster = (uri: string) => datasetPathOnCluster(uri, locations.datasetsBucket);
  const request: SubmitRequest = {
    version: REQUEST_VERSION,
    run,
    nodes: settings.nodes,
    tensorParallel: settings.tensorParallel,
    sequenceLength: settings.sequenceLength,
    globalBatch: settings.globalBatch,
    microBatch: settings.microBatch,
    steps,
    warmupSteps: settings.warmupSteps,
    learningRate: settings.learningRate,
    minLearningRate: settings.minLearningRate,
    checkpointEvery: settings.checkpointEvery,
    checkpointsKept: settings.checkpointsKept,
    // At most the run's steps, and below checkpointEvery: the compile stage must write no checkpoint.
    compileSteps: Math.min(defaults.compileSteps, steps, settings.checkpointEvery - 1),
    trainPath: onCluster(manifest.train.path),
    evalPaths: {
      domain: onCluster(manifest.evalDomain.path),
      general: manifest.evalGeneral ? onCluster(manifest.evalGeneral.path) : null,
    },
    baseModel: defaults.baseModel,
    hfTokenSecretArn: locations.hfTokenSecretArn,
    exportS3Uri: `s3://${locations.checkpointsBucket}/${EXPORTS_PREFIX}${run}/`,
    reportS3Uri: `s3://${locations.checkpointsBucket}/${REPORTS_PREFIX}${run}/`,
    neuronRelease: defaults.neuronRelease,
    partition: defaults.partition,
    maxTrainRestarts: defaults.maxTrainRestarts,
    timeLimits: timeLimits.limits,
    resume: input.resume ?? false,
  };
  const summary: PlanSummary = {
    dataParallel,
    gradientAccumulation: settings.globalBatch / (dataParallel * settings.microBatch),
    trainRows: rows,
    steps,
    stepsFrom: settings.steps !== undefined ? 'steps' : 'epochs',
    epochs: (steps * settings.globalBatch) / rows,
    tokensPerStep: settings.globalBatch * settings.sequenceLength,
    trainTokens: steps * settings.globalBatch * settings.sequenceLength,
    evalDomainRows: manifest.evalDomain.rows,
    evalGeneralRows: manifest.evalGeneral?.rows ?? 0,
    attempt: manifest.attempt,
    overrides: Object.fromEntries(
      OVERRIDE_KEYS.filter((k) => overrides[k] !== undefined).map((k) => [k, overrides[k]]),
    ),
    savedSteps: savedSteps(steps, settings.checkpointEvery),
  };
  return { request, summary, timeLimits, warnings };
}
