import type { CptConfig } from '../config/schema';
import { tokensPerSecondPerNode, trainingSeconds } from '../plan/figures';
import { deriveTimeLimits, TimeLimits } from '../plan/time-limits';
import { savedSteps } from '../training/saved-steps';
import { NEURON_CORES_PER_NODE, NEURON_DEVICES_PER_NODE } from './hardware';
import { dataParallelDegree, gradientAccumulation } from './parallelism';
import { Range, range } from './range';
import { RunSettings, settingsOfConfig } from './settings';
import { COMPILE_STEPS, compileSteps, LOGGING_INTERVAL_STEPS, scheduleSteps, stepsFor } from './steps';

/**
 * Everything about a run that follows from its settings and its training set, derived once: the parallelism, the
 * steps, the checkpoints, the schedule, the time. `npm run plan`, the configuration summary, the training function
 * (which sends the figures in the request, so that the cluster formats flags and never recomputes them) and the demo
 * all call deriveRun. Pure; the rules between the settings are checked before (lib/run/rules.ts).
 */

export interface RunInput {
  readonly settings: RunSettings;
  /** Training rows (one epoch). */
  readonly rows: number;
  /** The most steps the compile stage traces (the training function's compileSteps; default COMPILE_STEPS). */
  readonly compileSteps?: number;
  /** Tokens/s per node you measured; unset, the published range. */
  readonly measuredTokensPerSecondPerNode?: number;
  readonly fsxThroughputPerTiB: CptConfig['fsxThroughputPerTiB'];
  readonly fsxStorageGiB: number;
  /** Held-out sets the evaluate stage scores: 1 (domain) or 2 (domain and general). */
  readonly evalSets: number;
}

export interface RunDerivation {
  /** NeuronCores and Neuron devices of a node. */
  readonly coresPerNode: number;
  readonly devicesPerNode: number;
  readonly dataParallel: number;
  /** Micro-batches each replica accumulates per optimizer step. */
  readonly gradientAccumulation: number;
  readonly tokensPerStep: number;
  readonly rows: number;
  readonly stepsPerEpoch: number;
  readonly steps: number;
  /** Where the steps come from: the epochs (default) or a steps override. */
  readonly stepsFrom: 'epochs' | 'steps';
  /** Passes over the training set the steps make: the requested epochs, rounded up to whole steps. */
  readonly epochs: number;
  /** steps × global batch × sequence length. */
  readonly tokensTrained: number;
  /**
   * The steps the run saves a checkpoint at: the multiples of checkpointEvery up to steps, and steps itself (every
   * run ends with its last step saved). The newest checkpointsKept stay on FSx; all reach S3.
   */
  readonly savedSteps: number[];
  readonly compileSteps: number;
  /** The training script's --max_steps: where the learning-rate decay reaches 0 (lib/run/steps.ts scheduleSteps). */
  readonly scheduleSteps: number;
  /** The training script's --logging_interval. */
  readonly loggingInterval: number;
  /** Tokens/s per node the time figures assume (measured, or the published range). */
  readonly tokensPerSecondPerNode: Range;
  readonly trainingHours: Range;
  /** Each stage's Slurm time limit, and how it is made. */
  readonly timeLimits: TimeLimits;
}

export function deriveRun(input: RunInput): RunDerivation {
  const s = input.settings;
  const steps = s.steps ?? stepsFor(input.rows, s.epochs, s.globalBatch);
  const tokensPerStep = s.globalBatch * s.sequenceLength;
  const tokensTrained = steps * tokensPerStep;
  const perNode = tokensPerSecondPerNode(input.measuredTokensPerSecondPerNode);
  return {
    coresPerNode: NEURON_CORES_PER_NODE,
    devicesPerNode: NEURON_DEVICES_PER_NODE,
    dataParallel: dataParallelDegree(s.nodes, s.tensorParallel),
    gradientAccumulation: gradientAccumulation(s),
    tokensPerStep,
    rows: input.rows,
    stepsPerEpoch: stepsFor(input.rows, 1, s.globalBatch),
    steps,
    stepsFrom: s.steps !== undefined ? 'steps' : 'epochs',
    epochs: (steps * s.globalBatch) / input.rows,
    tokensTrained,
    savedSteps: savedSteps(steps, s.checkpointEvery),
    compileSteps: compileSteps(steps, s.checkpointEvery, input.compileSteps ?? COMPILE_STEPS),
    scheduleSteps: scheduleSteps({ ...s, steps }),
    loggingInterval: LOGGING_INTERVAL_STEPS,
    tokensPerSecondPerNode: perNode,
    trainingHours: range(
      trainingSeconds(tokensTrained, s.nodes, perNode.high) / 3600,
      trainingSeconds(tokensTrained, s.nodes, perNode.low) / 3600,
    ),
    timeLimits: deriveTimeLimits({
      nodes: s.nodes,
      steps,
      globalBatch: s.globalBatch,
      sequenceLength: s.sequenceLength,
      checkpointEvery: s.checkpointEvery,
      checkpointsKept: s.checkpointsKept,
      measuredTokensPerSecondPerNode: input.measuredTokensPerSecondPerNode,
      fsxThroughputPerTiB: input.fsxThroughputPerTiB,
      fsxStorageGiB: input.fsxStorageGiB,
      evalSets: input.evalSets,
    }),
  };
}

/** The run a configuration plans on `rows` training rows (`npm run plan`, the configuration summary). */
export function deriveConfigRun(config: CptConfig, rows: number): RunDerivation {
  return deriveRun({
    settings: settingsOfConfig(config),
    rows,
    measuredTokensPerSecondPerNode: config.measuredTokensPerSecondPerNode,
    fsxThroughputPerTiB: config.fsxThroughputPerTiB,
    fsxStorageGiB: config.fsxStorageGiB,
    evalSets: config.generalCorpusPrefix === '' ? 1 : 2,
  });
}

/** The figures the request carries to the cluster (lib/training/request-schema.ts `derived`). */
export function requestDerived(d: RunDerivation) {
  return {
    coresPerNode: d.coresPerNode,
    devicesPerNode: d.devicesPerNode,
    dataParallel: d.dataParallel,
    gradientAccumulation: d.gradientAccumulation,
    scheduleSteps: d.scheduleSteps,
    loggingInterval: d.loggingInterval,
    tokensPerStep: d.tokensPerStep,
  };
}
