import { CptConfig } from '../config/schema';
import { PUBLISH_INTERVAL_SECONDS, STALL_ALARM_PERIOD_SECONDS } from '../monitoring/metrics';
import { LOGGING_INTERVAL_STEPS } from '../run/steps';
import { checkpointBytes, tokensPerSecondPerNode } from './figures';

/**
 * The threshold of the stalled-training alarm (MinutesSinceLastStep ≥ threshold), derived from the plan unless the
 * configuration sets stallAlarmMinutes. Pure: the monitoring stack and `npm run plan` share it.
 *
 * MinutesSinceLastStep is the time since the train job's newest step line, or since the job started when it has none
 * yet (cluster/monitoring/cpt_metrics_agent.py); the script prints one every LOGGING_INTERVAL_STEPS steps. A healthy
 * run keeps it below the longer of two waits:
 *
 *   steady state        the logging window (LOGGING_INTERVAL_STEPS × globalBatchSize × sequenceLength ÷ (tokens/s
 *                       per node × nodes), at the plan's slower throughput) + the checkpoint saves that fall in it
 *                       (checkpoint bytes ÷ FSx throughput, fsxThroughputPerTiB MB/s per TiB × fsxStorageGiB, for
 *                       each; one, unless checkpointEverySteps < LOGGING_INTERVAL_STEPS): a save stops training;
 *   after a (re)start   the launch (LAUNCH_ALLOWANCE_SECONDS) + loading the newest checkpoint (the bytes a save
 *                       writes, through the same FSx: one save's time) + one logging window;
 *
 * plus a margin of one agent interval and one alarm period (the metric counts from each line's own time, so neither
 * raises it; the margin absorbs a late flush of the log and a sample that lands late), rounded up to whole minutes. The seed configuration: max(4.2 + 5.6, 5 + 5.6 + 4.2) + 1 + 1 = 16.8, so 17 minutes.
 */

/** Steps between two step lines: the run's loggingInterval (lib/run/steps.ts), which each request carries. */
/**
 * Assumption, not measured here: the time from a train job's start to its first training step, less the checkpoint
 * load (srun, torchrun, the Neuron runtime's start, the model and its compiled graphs from the compile cache, which the
 * compile stage filled). The train log shows the real figure: if it is longer, set stallAlarmMinutes.
 */
export const LAUNCH_ALLOWANCE_SECONDS = 300;
/** FSx for Lustre quotes throughput in MB/s; taken as 10^6 bytes (the smaller reading: the longer, safer pause). */
export const FSX_BYTES_PER_MB = 1e6;
const GIB_PER_TIB = 1024;

export type StallConfig = Pick<
  CptConfig,
  | 'nodeCount'
  | 'globalBatchSize'
  | 'sequenceLength'
  | 'measuredTokensPerSecondPerNode'
  | 'fsxThroughputPerTiB'
  | 'fsxStorageGiB'
  | 'checkpointEverySteps'
  | 'stallAlarmMinutes'
>;

/** The derived threshold and each of its parts, for `npm run plan`. */
export interface StallDerivation {
  /** The slower tokens/s per node of the plan (measured, or the published low figure). */
  readonly tokensPerSecondPerNode: number;
  readonly loggingWindowSeconds: number;
  /** FSx throughput: fsxThroughputPerTiB × fsxStorageGiB ÷ 1024, in bytes a second. */
  readonly fsxBytesPerSecond: number;
  readonly checkpointBytes: number;
  /** Saves that can fall between two step lines: ceil(LOGGING_INTERVAL_STEPS ÷ checkpointEverySteps). */
  readonly savesPerWindow: number;
  /** All of them: savesPerWindow × checkpoint bytes ÷ FSx throughput. */
  readonly checkpointSaveSeconds: number;
  /** Loading one checkpoint after a (re)start: checkpoint bytes ÷ FSx throughput. */
  readonly checkpointLoadSeconds: number;
  readonly launchSeconds: number;
  /** The longest healthy wait between two step lines: window + saves. */
  readonly steadySeconds: number;
  /** The wait for the first step line after a (re)start: launch + load + window. */
  readonly startupSeconds: number;
  readonly agentIntervalSeconds: number;
  readonly alarmPeriodSeconds: number;
  /** The sum, in minutes, before rounding. */
  readonly exactMinutes: number;
  /** Rounded up to whole minutes: the threshold when stallAlarmMinutes is unset. */
  readonly minutes: number;
}

export interface StallThreshold {
  /** What the alarm uses. */
  readonly minutes: number;
  /** Where `minutes` comes from: the configuration key, or the plan. */
  readonly from: 'stallAlarmMinutes' | 'plan';
  /** The plan's figure (also when stallAlarmMinutes overrides it, to compare). */
  readonly derived: StallDerivation;
}

/** The throughput of the FSx for Lustre file system in bytes a second: fsxThroughputPerTiB MB/s × fsxStorageGiB ÷ 1024. */
export function fsxThroughputBytesPerSecond(config: Pick<CptConfig, 'fsxThroughputPerTiB' | 'fsxStorageGiB'>): number {
  return config.fsxThroughputPerTiB * FSX_BYTES_PER_MB * (config.fsxStorageGiB / GIB_PER_TIB);
}

/** The stall threshold the plan gives this configuration. */
export function deriveStallThreshold(config: StallConfig): StallDerivation {
  const perNode = tokensPerSecondPerNode(config.measuredTokensPerSecondPerNode).low;
  const tokensPerWindow = LOGGING_INTERVAL_STEPS * config.globalBatchSize * config.sequenceLength;
  const loggingWindowSeconds = tokensPerWindow / (perNode * config.nodeCount);
  const fsxBytesPerSecond = fsxThroughputBytesPerSecond(config);
  const bytes = checkpointBytes();
  const savesPerWindow = Math.ceil(LOGGING_INTERVAL_STEPS / config.checkpointEverySteps);
  const checkpointLoadSeconds = bytes / fsxBytesPerSecond;
  const checkpointSaveSeconds = savesPerWindow * checkpointLoadSeconds;
  const steadySeconds = loggingWindowSeconds + checkpointSaveSeconds;
  const startupSeconds = LAUNCH_ALLOWANCE_SECONDS + checkpointLoadSeconds + loggingWindowSeconds;
  const exactMinutes =
    (Math.max(steadySeconds, startupSeconds) + PUBLISH_INTERVAL_SECONDS + STALL_ALARM_PERIOD_SECONDS) / 60;
  return {
    tokensPerSecondPerNode: perNode,
    loggingWindowSeconds,
    fsxBytesPerSecond,
    checkpointBytes: bytes,
    savesPerWindow,
    checkpointSaveSeconds,
    checkpointLoadSeconds,
    launchSeconds: LAUNCH_ALLOWANCE_SECONDS,
    steadySeconds,
    startupSeconds,
    agentIntervalSeconds: PUBLISH_INTERVAL_SECONDS,
    alarmPeriodSeconds: STALL_ALARM_PERIOD_SECONDS,
    exactMinutes,
    // A hair of floating point above a whole minute does not cost a minute.
    minutes: Math.ceil(exactMinutes - 1e-9),
  };
}

/** The threshold of the stalled-training alarm: stallAlarmMinutes when set, the plan's otherwise. */
export function stallThreshold(config: StallConfig): StallThreshold {
  const derived = deriveStallThreshold(config);
  return config.stallAlarmMinutes === undefined
    ? { minutes: derived.minutes, from: 'plan', derived }
    : { minutes: config.stallAlarmMinutes, from: 'stallAlarmMinutes', derived };
}

/** The derivation in one line, for the plan and the alarm's description. */
export function describeStallDerivation(d: StallDerivation): string {
  const min = (seconds: number) => (seconds / 60).toFixed(1);
  const window = `${min(d.loggingWindowSeconds)} min between two step lines (${LOGGING_INTERVAL_STEPS} steps at ${Math.round(d.tokensPerSecondPerNode).toLocaleString('en-US')} tokens/s per node)`;
  const saves = `${min(d.checkpointSaveSeconds)} min for ${d.savesPerWindow === 1 ? 'a checkpoint save' : `${d.savesPerWindow} checkpoint saves`} (${(d.checkpointBytes / 1e9).toFixed(0)} GB each at ${Math.round(d.fsxBytesPerSecond / FSX_BYTES_PER_MB)} MB/s of FSx)`;
  const steady = `steady state ${window} + ${saves} = ${min(d.steadySeconds)}`;
  const startup = `after a (re)start ${min(d.launchSeconds)} min launch (assumed) + ${min(d.checkpointLoadSeconds)} min loading a checkpoint + one window = ${min(d.startupSeconds)}`;
  const [longer, shorter] = d.startupSeconds >= d.steadySeconds ? [startup, steady] : [steady, startup];
  return (
    `the longer wait for a step line, ${longer} (${shorter}), ` +
    `+ ${min(d.agentIntervalSeconds + d.alarmPeriodSeconds)} min margin (an agent interval and an alarm period) = ${d.exactMinutes.toFixed(1)}, rounded up to ${d.minutes}`
  );
}
