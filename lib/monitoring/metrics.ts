import { FSX_MOUNT_DIR } from '../cluster/cluster-config';

/**
 * The custom-metrics contract between the head node's metrics agent (cluster/monitoring/cpt_metrics_agent.py,
 * installed by cluster/monitoring/install-agent.sh) and the monitoring stack's alarms and dashboard. Pure constants:
 * the agent's command line, the alarms and the dashboard all read them from here.
 *
 * Every data point goes to namespace `TrainiumCpt` with exactly one dimension, `ClusterName` = clusterName(config)
 * (CloudWatch treats another set of dimensions as another metric, which no alarm would watch).
 *
 * - `TrainingStep` (None): the newest optimizer step a running train job logged; published when a new step line was
 *   logged since the previous sample;
 * - `TrainingLoss` (None): the loss of that step; with TrainingStep;
 * - `TrainingTokensPerSecond` (Count/Second): throughput of the running train jobs (sequences/s × sequence length);
 *   with TrainingStep;
 * - `MinutesSinceLastStep` (None): minutes since the running train job's last step line (or since it started); every
 *   interval, only while a train job is RUNNING;
 * - `NodesUp` (Count): nodes Slurm reports usable; every interval;
 * - `FsxFreeGiB` (None): GiB free on the FSx file system of the runs folder (statvfs); every interval;
 * - `FailedJobs` (Count): jobs of a chain that ended FAILED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, BOOT_FAIL or DEADLINE
 *   since the previous sample, each counted once; every interval, 0 when none.
 *
 * `MinutesSinceLastStep` is absent when no train job runs: its alarm treats missing data as not breaching, so an idle
 * cluster never looks stalled. `FailedJobs` counts new failures per data point, so its Sum over a period is the number
 * of jobs that failed in that period; and since the agent appends it at every sample, whatever Slurm answers, its
 * SampleCount is the agent's heartbeat (the heartbeat alarm treats its absence as breaching).
 */
export const METRICS_NAMESPACE = 'TrainiumCpt';
/** The one dimension of every metric; its value is clusterName(config). */
export const CLUSTER_NAME_DIMENSION = 'ClusterName';
/** Seconds between two data points of the agent (CloudWatch's standard resolution is one minute). */
export const PUBLISH_INTERVAL_SECONDS = 60;
/**
 * Period of the stalled-training alarm: one agent interval, so that the alarm compares each MinutesSinceLastStep
 * sample with its threshold as it arrives (a 5-minute period would add up to 5 minutes to every stall it sees).
 */
export const STALL_ALARM_PERIOD_SECONDS = PUBLISH_INTERVAL_SECONDS;
/** The agent's systemd service on the head node (install-agent.sh, SERVICE): what to check when it falls silent. */
export const AGENT_SERVICE_NAME = 'trainium-cpt-metrics';
/** Where cpt-run.sh keeps one folder per run (request.json, logs/, status/): what the agent reads. */
export const RUNS_DIR = `${FSX_MOUNT_DIR}/trainium-cpt/runs`;

/** CloudWatch units of the contract (the names PutMetricData takes). */
export type MetricUnit = 'None' | 'Count' | 'Count/Second';

export interface MetricSpec {
  readonly name: string;
  readonly unit: MetricUnit;
  /** What the dashboard calls it. */
  readonly label: string;
}

export const TRAINING_METRICS = {
  trainingStep: { name: 'TrainingStep', unit: 'None', label: 'Step' },
  trainingLoss: { name: 'TrainingLoss', unit: 'None', label: 'Loss' },
  tokensPerSecond: { name: 'TrainingTokensPerSecond', unit: 'Count/Second', label: 'Tokens per second' },
  minutesSinceLastStep: { name: 'MinutesSinceLastStep', unit: 'None', label: 'Minutes since the last step' },
  nodesUp: { name: 'NodesUp', unit: 'Count', label: 'Trainium nodes up' },
  fsxFreeGiB: { name: 'FsxFreeGiB', unit: 'None', label: 'FSx free (GiB)' },
  failedJobs: { name: 'FailedJobs', unit: 'Count', label: 'Failed jobs' },
} as const satisfies Record<string, MetricSpec>;

export type TrainingMetricKey = keyof typeof TRAINING_METRICS;
