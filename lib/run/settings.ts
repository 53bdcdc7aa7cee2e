import type { CptConfig } from '../config/schema';
import { defaultMinLearningRate } from './steps';

/**
 * The settings of one run, in the request's words (lib/training/contract.ts): the configuration's, or the training
 * function's defaults with a submission's overrides applied (lib/training/plan.ts resolveSettings).
 */
export interface RunSettings {
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

export type SettingKey = keyof RunSettings;

/** What each setting is called where a problem is shown: a configuration key, or the request's field. */
export type SettingNames = Readonly<Record<SettingKey, string>>;

export const REQUEST_NAMES: SettingNames = {
  nodes: 'nodes',
  tensorParallel: 'tensorParallel',
  sequenceLength: 'sequenceLength',
  globalBatch: 'globalBatch',
  microBatch: 'microBatch',
  learningRate: 'learningRate',
  minLearningRate: 'minLearningRate',
  warmupSteps: 'warmupSteps',
  epochs: 'epochs',
  steps: 'steps',
  checkpointEvery: 'checkpointEvery',
  checkpointsKept: 'checkpointsKept',
};

/** The configuration key of each setting (minLearningRate and steps have none: they are derived, or overrides). */
export const CONFIG_NAMES = {
  ...REQUEST_NAMES,
  nodes: 'nodeCount',
  tensorParallel: 'tensorParallelDegree',
  globalBatch: 'globalBatchSize',
  microBatch: 'microBatchSize',
  checkpointEvery: 'checkpointEverySteps',
} as const satisfies SettingNames;

/** The run a configuration describes (the plan's, the summary's, the training function's defaults). */
export function settingsOfConfig(config: CptConfig): RunSettings {
  return {
    nodes: config.nodeCount,
    tensorParallel: config.tensorParallelDegree,
    sequenceLength: config.sequenceLength,
    globalBatch: config.globalBatchSize,
    microBatch: config.microBatchSize,
    learningRate: config.learningRate,
    minLearningRate: defaultMinLearningRate(config.learningRate),
    warmupSteps: config.warmupSteps,
    epochs: config.epochs,
    checkpointEvery: config.checkpointEverySteps,
    checkpointsKept: config.checkpointsKept,
  };
}
