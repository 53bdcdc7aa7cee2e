import type { RunSettings } from '../run/settings';
import { stepsFor } from '../run/steps';
import type { OverrideKey, TrainingDefaults } from './requests';
import { savedStepCount } from './saved-steps';

/**
 * The upper bounds of a submission's overrides, each taken from the deployed configuration (the training function's
 * defaults): one call may not hold the nodes longer, or write more checkpoints to FSx and S3, than the run the
 * configuration describes, the run its budgets, time limits and FSx were sized for. Beyond a bound, change the
 * configuration key it names and deploy. The other overrides are bounded elsewhere: nodes by nodeCount
 * (plan.ts resolveSettings), warmupSteps by the run's steps (lib/run/rules.ts), tensorParallel, microBatch and
 * learningRate by their fields' own limits (lib/config/fields.ts), minLearningRate by learningRate. Pure.
 */

/**
 * Our choice: a run may save this many times the checkpoints of the configured run (each one stalls training for a
 * save and adds a whole checkpoint to S3, which keeps them all), and at least as many as checkpointsKept.
 */
export const CHECKPOINT_COUNT_FACTOR = 2;

/** "epochs = 5 (override)": the setting, its value and where the value came from. */
export type DescribeSetting = (key: OverrideKey, value: number) => string;

/** The bounds that need only the configuration: the CLI checks them too, before it invokes anything. */
export function configBoundProblems(defaults: TrainingDefaults, settings: RunSettings, at: DescribeSetting): string[] {
  const problems: string[] = [];
  if (settings.epochs > defaults.epochs) {
    problems.push(
      `${at('epochs', settings.epochs)}: more than the ${defaults.epochs} of the deployed configuration (epochs), the run its budgets, time limits and FSx were sized for. ` +
        `Accepted: a number above 0 and at most ${defaults.epochs}; to train longer, raise epochs in the configuration and deploy`,
    );
  }
  if (settings.globalBatch > defaults.globalBatch) {
    problems.push(
      `${at('globalBatch', settings.globalBatch)}: more than the ${defaults.globalBatch} rows a step of the deployed configuration (globalBatchSize), the step its run's length is counted in. ` +
        `Accepted: a multiple of the data-parallel degree × microBatch, at most ${defaults.globalBatch}; for a larger batch, raise globalBatchSize in the configuration and deploy`,
    );
  }
  if (settings.checkpointsKept > defaults.checkpointsKept) {
    problems.push(
      `${at('checkpointsKept', settings.checkpointsKept)}: more than the ${defaults.checkpointsKept} of the deployed configuration (checkpointsKept), the checkpoints FSx is sized to hold. ` +
        `Accepted: an integer from 1 to ${defaults.checkpointsKept}; to keep more, raise checkpointsKept in the configuration (the plan sizes FSx for it) and deploy`,
    );
  }
  return problems;
}

/** What the bounds that need the training set compare with: the run the configuration makes of it. */
export interface ConfiguredRun {
  /** The steps of the configured epochs over the training set at the configured global batch. */
  readonly steps: number;
  /** The checkpoints it saves (every checkpointEvery steps, and its last step). */
  readonly checkpoints: number;
  /** The most checkpoints a run may save: CHECKPOINT_COUNT_FACTOR × checkpoints, and at least checkpointsKept. */
  readonly checkpointLimit: number;
}

export function configuredRun(defaults: TrainingDefaults, rows: number): ConfiguredRun {
  const steps = stepsFor(rows, defaults.epochs, defaults.globalBatch);
  const checkpoints = savedStepCount(steps, defaults.checkpointEvery);
  return {
    steps,
    checkpoints,
    checkpointLimit: Math.max(CHECKPOINT_COUNT_FACTOR * checkpoints, defaults.checkpointsKept),
  };
}

/**
 * The bounds that need the training set (the manifest's rows): the steps of a steps override, and the checkpoints
 * the run saves. Checked before the run is derived: a bound exceeded costs no work.
 */
export function runBoundProblems(
  defaults: TrainingDefaults,
  settings: RunSettings,
  steps: number,
  rows: number,
  at: DescribeSetting,
): string[] {
  // The configured epochs at this run's global batch: a smaller batch takes more, shorter steps over the same rows.
  const maxSteps = stepsFor(rows, defaults.epochs, settings.globalBatch);
  if (settings.steps !== undefined && settings.steps > maxSteps) {
    return [
      `${at('steps', settings.steps)}: more than the ${maxSteps} steps of the configured run, the deployed configuration's ${defaults.epochs} epochs (epochs) over the ${rows} training rows at a global batch of ${settings.globalBatch}. ` +
        `Accepted: an integer from 1 to ${maxSteps}; to train longer, raise epochs in the configuration and deploy`,
    ];
  }
  const configured = configuredRun(defaults, rows);
  const saved = savedStepCount(steps, settings.checkpointEvery);
  if (saved <= configured.checkpointLimit) return [];
  // ceil(steps ÷ every) ≤ limit exactly when every ≥ steps ÷ limit; 2 is checkpointEvery's own least (rules.ts).
  const leastEvery = Math.max(2, Math.ceil(steps / configured.checkpointLimit));
  const shorterSteps =
    settings.globalBatch < defaults.globalBatch
      ? ` (its global batch of ${settings.globalBatch}, below the configured ${defaults.globalBatch}, makes more, shorter steps)`
      : '';
  return [
    `${at('checkpointEvery', settings.checkpointEvery)}: the run's ${steps} steps${shorterSteps} would save ${saved} checkpoints, more than the ${configured.checkpointLimit} a run may save ` +
      `(${CHECKPOINT_COUNT_FACTOR} × the ${configured.checkpoints} of the configured run, checkpointEverySteps ${defaults.checkpointEvery} over its ${configured.steps} steps, and at least checkpointsKept ${defaults.checkpointsKept}): ` +
      'each save stalls training and adds a whole checkpoint to S3. ' +
      `Accepted: an integer of at least ${leastEvery}; for more checkpoints, lower checkpointEverySteps in the configuration and deploy`,
  ];
}
