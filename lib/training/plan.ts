import { CptConfig } from '../config/schema';
import { QUEUE_NAME } from '../cluster/cluster-config';
import { formatLimit, TimeLimits } from '../plan/time-limits';
import { deriveRun, requestDerived } from '../run/derive';
import { parallelismProblems, RunProblem, smallSetWarning, scheduleProblems, stepsProblems } from '../run/rules';
import { REQUEST_NAMES, RunSettings, SettingKey, settingsOfConfig } from '../run/settings';
import { COMPILE_STEPS, defaultMinLearningRate, stepsFor } from '../run/steps';
import { configBoundProblems, runBoundProblems } from './bounds';
import { MAX_TIME_LIMIT_MINUTES, REQUEST_VERSION, STAGES, SubmitRequest } from './contract';
import { datasetPathOnCluster, ManifestFacts } from './manifest';
import { memoryWarnings } from './memory-fit';
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
 * settings, checked (lib/run/rules.ts), the run derived from them (lib/run/derive.ts), and where everything is.
 * Pure: the Lambda and the CLI share it, and the tests drive it directly.
 */

/** Key prefixes, in the checkpoints bucket, of a run's exported model and its evaluation report. */
export const EXPORTS_PREFIX = 'exports/';
export const REPORTS_PREFIX = 'reports/';

/** The defaults the stack gives the Lambda (env TRAINING_DEFAULTS), from the configuration. */
export function trainingDefaults(config: CptConfig): TrainingDefaults {
  // minLearningRate is not a default: each run derives it from its learning rate unless it overrides it.
  const { minLearningRate: _derived, ...settings } = settingsOfConfig(config);
  return {
    ...settings,
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
    capacityType: config.capacityType,
    ...(config.capacityReservationId !== undefined && { capacityReservationId: config.capacityReservationId }),
  };
}

/** The settings of one run: the defaults with its overrides applied. */

/**
 * Applies the overrides to the defaults and checks the rules that involve several settings; every problem at once.
 * Needs no manifest: the CLI runs it before it invokes anything.
 */
export function resolveSettings(defaults: TrainingDefaults, overrides: Overrides = {}): RunSettings {
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
  const settings: RunSettings = {
    ...merged,
    minLearningRate: overrides.minLearningRate ?? defaultMinLearningRate(merged.learningRate),
  };
  const source = (key: SettingKey) => (overrides[key as OverrideKey] !== undefined ? 'override' : 'default');
  const at = (key: OverrideKey, value: number) => `${key} = ${value} (${source(key)})`;
  const problems: string[] = [];

  if (settings.nodes > defaults.nodes) {
    problems.push(
      `${at('nodes', settings.nodes)}: more than the ${defaults.nodes} nodes of the cluster's queue (nodeCount). Accepted: an integer from 1 to ${defaults.nodes}`,
    );
  }
  problems.push(...configBoundProblems(defaults, settings, at));
  // A submission cannot override sequenceLength: a sequence that tensor parallelism does not split is its TP's fault.
  const context = { names: REQUEST_NAMES, sequenceSplitBlames: 'tensorParallel', sourceOf: source } as const;
  problems.push(
    ...[...parallelismProblems(settings, context), ...scheduleProblems(settings, context)].map((p) =>
      describeProblem(p, settings, source),
    ),
  );
  if (overrides.steps !== undefined && overrides.epochs !== undefined) {
    problems.push(
      `steps = ${overrides.steps} and epochs = ${overrides.epochs} (overrides): give one of them, not both`,
    );
  }
  if (problems.length > 0) throw new InvalidRequestError(problems);
  return settings;
}

/** "globalBatch = 1000 (override): is not a multiple of ... Accepted: ...". */
function describeProblem(problem: RunProblem, settings: RunSettings, source: (key: SettingKey) => string): string {
  const key = problem.key as OverrideKey;
  const accepted = problem.accepted ?? OVERRIDE_RULES[key].accepted;
  return `${key} = ${settings[key]} (${source(key)}): ${problem.why}. Accepted: ${accepted}`;
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
  const source = (key: OverrideKey) => (overrides[key] !== undefined ? 'override' : 'default');
  const bounds = runBoundProblems(
    defaults,
    settings,
    settings.steps ?? stepsFor(rows, settings.epochs, settings.globalBatch),
    rows,
    (key, value) => `${key} = ${value} (${source(key)})`,
  );
  if (bounds.length > 0) throw new InvalidRequestError(bounds);
  const derived = deriveRun({
    settings,
    rows,
    compileSteps: defaults.compileSteps,
    measuredTokensPerSecondPerNode: defaults.measuredTokensPerSecondPerNode,
    fsxThroughputPerTiB: defaults.fsxThroughputPerTiB,
    fsxStorageGiB: defaults.fsxStorageGiB,
    evalSets: manifest.evalGeneral ? 2 : 1,
  });
  const { steps, timeLimits } = derived;
  const tooLong = stepsProblems(settings, steps, rows).map(
    (p) => `${p.key} = ${settings[p.key]} (${source(p.key as OverrideKey)}): ${p.why}. Accepted: ${p.accepted}`,
  );
  if (tooLong.length > 0) throw new InvalidRequestError(tooLong);

  const warnings = smallSetWarning(rows, settings.globalBatch, String);
  if (settings.checkpointEvery > steps) {
    warnings.push(
      `checkpointEvery ${settings.checkpointEvery} is more than the run's ${steps} steps: the run saves exactly one checkpoint, the final one (step ${steps}); ` +
        'a failure before it restarts training from the base model',
    );
  }
  warnings.push(...memoryWarnings(settings, REQUEST_NAMES));
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
    compileSteps: derived.compileSteps,
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
    derived: requestDerived(derived),
  };
  const summary: PlanSummary = {
    dataParallel: derived.dataParallel,
    gradientAccumulation: derived.gradientAccumulation,
    trainRows: rows,
    steps,
    stepsFrom: derived.stepsFrom,
    epochs: derived.epochs,
    tokensPerStep: derived.tokensPerStep,
    trainTokens: derived.tokensTrained,
    evalDomainRows: manifest.evalDomain.rows,
    evalGeneralRows: manifest.evalGeneral?.rows ?? 0,
    attempt: manifest.attempt,
    overrides: Object.fromEntries(
      OVERRIDE_KEYS.filter((k) => overrides[k] !== undefined).map((k) => [k, overrides[k]]),
    ),
    savedSteps: derived.savedSteps,
  };
  return { request, summary, timeLimits, warnings };
}
