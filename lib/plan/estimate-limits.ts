import { CptConfig } from '../config/schema';
import { RunDerivation } from '../run/derive';
import { CONFIG_NAMES, settingsOfConfig } from '../run/settings';
import { MAX_TIME_LIMIT_MINUTES, STAGES } from '../training/contract';
import { memoryWarnings } from '../training/memory-fit';
import { Part } from './part';
import { LOGGING_INTERVAL_STEPS } from '../run/steps';
import { LAUNCH_ALLOWANCE_SECONDS, stallThreshold, StallThreshold } from './stall-threshold';
import { formatLimit } from './time-limits';

/** What watches the run: each stage's time limit, the stalled-training alarm; and settings unlikely to fit memory. */
export function limitsPart(config: CptConfig, run: RunDerivation): Part<{ readonly stall: StallThreshold }> {
  const { timeLimits } = run;
  const capped = STAGES.filter((s) => timeLimits.stages[s].capped).map(
    (stage) =>
      `time limit: the ${stage} stage would need about ${formatLimit(Math.ceil(timeLimits.stages[stage].exactMinutes))}, more than the longest a request may set ` +
      `(${formatLimit(MAX_TIME_LIMIT_MINUTES)}): its job stops at that limit and continues only as a restart or a resume; more nodes shorten it`,
  );
  return {
    figures: { stall: stallThreshold(config) },
    assumptions: [
      {
        id: 'time-limits',
        text:
          "each stage's Slurm time limit is its estimated work × the margin (TIME_LIMIT_MARGIN) plus fixed allowances (a job's start, a launch, loading a checkpoint), " +
          "rounded up to whole minutes: training at the slower throughput and every checkpoint save; the base model's download and conversion; the compilation of the " +
          'training graphs; the conversion and upload of each checkpoint kept on FSx; the base model and those checkpoints scored on the held-out sets on the CPUs. ' +
          'The rates other than training are assumptions, not measured here; the training function sends the same limits with each run',
        source:
          'lib/plan/time-limits.ts (the constants and their bases); cluster/training/stage-*.sh (what each stage does)',
      },
      {
        id: 'stall',
        text:
          "the stalled-training alarm fires when MinutesSinceLastStep reaches its threshold: stallAlarmMinutes when set, else the plan's, the longer " +
          `of two healthy waits for a step line (the script prints one every ${LOGGING_INTERVAL_STEPS} steps), at the slower throughput: between two ` +
          'step lines with each checkpoint save that can fall between them (checkpoint bytes ÷ fsxThroughputPerTiB × fsxStorageGiB, MB taken as 10^6 ' +
          `bytes), or from a (re)start to the first step line (a launch of ${LAUNCH_ALLOWANCE_SECONDS / 60} minutes, an assumption not measured here, ` +
          'loading a checkpoint, one window); plus 2 minutes of margin (an agent interval and an alarm period), rounded up to whole minutes',
        source: `lib/plan/stall-threshold.ts; lib/run/steps.ts (--logging_interval ${LOGGING_INTERVAL_STEPS}, sent in each request); lib/monitoring/metrics.ts (the agent publishes every 60 s)`,
      },
    ],
    warnings: [...capped, ...memoryWarnings(settingsOfConfig(config), CONFIG_NAMES)],
  };
}
