/**
 * The optimizer steps of a run and the numbers the training script counts in: how many steps, how many the compile
 * stage traces, where the learning-rate schedule ends, how often a step line is logged. Pure.
 */

/** Optimizer steps of the compile stage (neuron_parallel_compile traces a few steps to fill the compiler cache). */
export const COMPILE_STEPS = 10;
/**
 * Steps between two step lines of the train log: the training script's --logging_interval. The stalled-training
 * alarm's threshold (lib/plan/stall-threshold.ts) allows one such window.
 */
export const LOGGING_INTERVAL_STEPS = 10;
/** The learning rate decays to its peak divided by this unless minLearningRate is given. */
export const MIN_LEARNING_RATE_DIVISOR = 10;

/** The learning rate the decay ends at by default: the peak ÷ MIN_LEARNING_RATE_DIVISOR. */
export function defaultMinLearningRate(learningRate: number): number {
  // 12 significant digits: 3e-4 ÷ 10 is 3e-5 in the request, not 2.9999999999999997e-5.
  return Number((learningRate / MIN_LEARNING_RATE_DIVISOR).toPrecision(12));
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

/** The steps the compile stage traces: at most the run's steps, and below checkpointEvery, so that it writes no checkpoint. */
export function compileSteps(steps: number, checkpointEvery: number, configured = COMPILE_STEPS): number {
  return Math.min(configured, steps, checkpointEvery - 1);
}

/** Python's round(): halves go to the even neighbour (the figure the cluster computed before it came from here). */
function roundHalfEven(x: number): number {
  const nearest = Math.round(x);
  return Math.abs(x % 1) === 0.5 && nearest % 2 !== 0 ? nearest - 1 : nearest;
}

/**
 * The training script's --max_steps: where the learning-rate schedule ends.
 *
 * tp_zero1_llama_hf_pretrain.py (v2.28.0) schedules the learning rate with transformers'
 * get_linear_schedule_with_warmup(num_warmup_steps=--warmup_steps, num_training_steps=--max_steps): a linear
 * warm-up, then a linear decay that reaches 0 at --max_steps. It has no minimum learning rate. So --max_steps is
 * set past the last step, where the decay line reaches 0, such that at step `steps` (where --steps_this_run stops
 * training) the learning rate is minLearningRate: lr * (T - steps) / (T - warmup) = minLearningRate.
 */
export function scheduleSteps(run: {
  readonly steps: number;
  readonly warmupSteps: number;
  readonly learningRate: number;
  readonly minLearningRate: number;
}): number {
  const { steps, warmupSteps: warmup } = run;
  const ratio = run.minLearningRate / run.learningRate;
  if (ratio === 0 || steps === warmup) return steps;
  return warmup + Math.max(steps - warmup, roundHalfEven((steps - warmup) / (1 - ratio)));
}
