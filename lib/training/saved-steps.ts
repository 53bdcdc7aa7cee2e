/**
 * The checkpoints a run saves. The training script saves at every multiple of checkpointEvery, and the train stage
 * adds one at the run's last step when that is not a multiple (cluster/training): every run ends with its last step
 * saved. All of them reach S3; the newest checkpointsKept stay on FSx. Pure: the plan, the Lambda and the CLI share it.
 */

const COUNT = new Intl.NumberFormat('en-US');

/** The steps a run of `steps` steps saves: the multiples of checkpointEvery up to steps, and steps itself. */
export function savedSteps(steps: number, checkpointEvery: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps = ${steps}: not an integer of at least 1`);
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1) {
    throw new RangeError(`checkpointEvery = ${checkpointEvery}: not an integer of at least 1`);
  }
  const saved: number[] = [];
  for (let step = checkpointEvery; step <= steps; step += checkpointEvery) saved.push(step);
  if (saved[saved.length - 1] !== steps) saved.push(steps);
  return saved;
}

/** How many a run saves, without listing them: ceil(steps ÷ checkpointEvery). */
export function savedStepCount(steps: number, checkpointEvery: number): number {
  return Math.ceil(steps / checkpointEvery);
}

/**
 * The saved steps in a few words: "500, 1,000, …, 31,000 and 31,472: 63 checkpoints, the newest 3 kept on FSx".
 * Up to four steps are listed whole; more show the first two and the last two.
 */
export function describeSavedSteps(steps: readonly number[], kept: number): string {
  const shown = steps.map((s) => COUNT.format(s));
  const listed = shown.length <= 4 ? shown : [...shown.slice(0, 2), '…', ...shown.slice(-2)];
  const list = listed.length === 1 ? listed[0] : `${listed.slice(0, -1).join(', ')} and ${listed[listed.length - 1]}`;
  const n = steps.length;
  if (n === 1) return `${list}: 1 checkpoint, the final one, kept on FSx`;
  const where =
    kept >= n ? `all ${n} kept on FSx` : kept === 1 ? 'the newest one kept on FSx' : `the newest ${kept} kept on FSx`;
  return `${list}: ${COUNT.format(n)} checkpoints, ${where}`;
}
