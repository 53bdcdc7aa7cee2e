import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AGENT_SERVICE_NAME, STALL_ALARM_PERIOD_SECONDS } from './metrics';
import { trainingMetric } from './training-metric';

/**
 * The heartbeat of the head node's metrics agent: the SampleCount of FailedJobs, the one metric the agent appends at
 * every sample whatever Slurm answers (NodesUp needs `sinfo` to answer, MinutesSinceLastStep a running train job).
 *
 * The agent samples once a minute, so a 5-minute period holds about 5 samples: one late or lost sample leaves the
 * others, and a sample slowed by its commands' 60-second timeouts delays the next by a few minutes, less than a
 * period. A period without any sample is missing data, which this alarm treats as breaching; two of them in a row,
 * at least 10 minutes of silence, fire it. A head node that dies is seen 10 to 15 minutes after its last sample (the
 * rest of that sample's period, then two empty periods), plus CloudWatch's minute of evaluation.
 */
export const HEARTBEAT = { period: Duration.minutes(5), evaluationPeriods: 2 } as const;

export interface RunAlarmsProps {
  /** Prefix of the alarm names (the project name): the subject of every alarm e-mail starts with it. */
  readonly namePrefix: string;
  /** The cluster whose metrics the head-node agent publishes (the `ClusterName` dimension). */
  readonly clusterName: string;
  /** The head node's instance ID (ParallelCluster.headNodeInstanceId), named in the heartbeat alarm's description. */
  readonly headNodeInstanceId: string;
  /** A train job that shows no new step for this long is stalled. */
  readonly stallAfter: Duration;
  /** How stallAfter was chosen, in a few words, for the stalled-training alarm's description. */
  readonly stallAfterBasis: string;
  /** Free FSx space, in GiB, below which the next checkpoint save may not fit (lib/run/storage.ts fsxLowFreeGiB). */
  readonly fsxLowFreeGiB: number;
  /** The training function (submit, status, cancel). */
  readonly trainingFunction: lambda.IFunction;
  /** Where every alarm goes when it fires. */
  readonly topic: sns.ITopic;
}

/**
 * The alarms of a training run, each sent to the alerts topic when it goes into ALARM:
 * - training failed: a job of the chain failed (FailedJobs, Sum over 5 minutes, ≥ 1);
 * - training stalled: a running train job has logged no new step for `stallAfter` (MinutesSinceLastStep, Maximum
 *   over 1 minute: each sample as it comes);
 * - metrics agent silent: the head node's agent published nothing for two 5-minute periods (HEARTBEAT);
 * - training function errors: the submit/status/cancel function failed (AWS/Lambda Errors, Sum over 5 minutes, ≥ 1);
 * - FSx almost full: less free space than the next checkpoint needs (FsxFreeGiB, Minimum over 5 minutes).
 *
 * Missing data is not breaching for the first, second and fourth: the agent publishes MinutesSinceLastStep only while
 * a train job runs, and the function has no data points when nobody calls it. It is breaching for the heartbeat: a
 * silent agent is what it watches, and while it is silent no other alarm of the run can fire. The heartbeat lives in
 * the monitoring stack, which depends on the cluster stack: `cdk deploy` creates it after the cluster, and `cdk
 * destroy` of the cluster stack destroys it first (the CDK CLI extends a destroy to the stacks that depend on the
 * named one, unless --exclusively), so it watches only while the cluster exists.
 */
export class RunAlarms extends Construct {
  readonly trainingFailed: cloudwatch.Alarm;
  readonly trainingStalled: cloudwatch.Alarm;
  readonly agentSilent: cloudwatch.Alarm;
  readonly functionErrors: cloudwatch.Alarm;
  readonly fsxAlmostFull: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RunAlarmsProps) {
    super(scope, id);
    const { namePrefix, clusterName } = props;
    const stallMinutes = props.stallAfter.toMinutes();

    this.trainingFailed = this.alarm('TrainingFailed', {
      alarmName: `${namePrefix}-training-job-failed`,
      alarmDescription:
        `A Slurm job of a training run on ${clusterName} failed. See its stage with npm run status, and the job's log ` +
        'under /fsx/trainium-cpt/runs/<run>/ on the head node.',
      metric: trainingMetric('failedJobs', clusterName, { statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
    });
    this.trainingStalled = this.alarm('TrainingStalled', {
      alarmName: `${namePrefix}-training-stalled`,
      alarmDescription:
        `A train job on ${clusterName} has logged no new step for ${stallMinutes} minutes or more (${props.stallAfterBasis}). ` +
        'The nodes still cost money: look at the train log, and cancel the run if it is hung.',
      metric: trainingMetric('minutesSinceLastStep', clusterName, {
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.seconds(STALL_ALARM_PERIOD_SECONDS),
      }),
      threshold: stallMinutes,
    });
    this.agentSilent = this.alarm('AgentSilent', {
      alarmName: `${namePrefix}-metrics-agent-silent`,
      alarmDescription:
        `The metrics agent of ${clusterName} has published nothing for ${HEARTBEAT.evaluationPeriods * HEARTBEAT.period.toMinutes()} minutes: ` +
        'while it is silent, no alarm of a training run can fire, and the nodes may still be running. Check the head node ' +
        `${props.headNodeInstanceId} (aws ec2 describe-instance-status --include-all-instances --instance-ids ${props.headNodeInstanceId}), ` +
        `then on it (SSM Session Manager) systemctl status ${AGENT_SERVICE_NAME} and journalctl -u ${AGENT_SERVICE_NAME}.`,
      metric: trainingMetric('failedJobs', clusterName, {
        statistic: cloudwatch.Stats.SAMPLE_COUNT,
        period: HEARTBEAT.period,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: HEARTBEAT.evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.functionErrors = this.alarm('FunctionErrors', {
      alarmName: `${namePrefix}-training-function-errors`,
      alarmDescription: `The training function ${props.trainingFunction.functionName} (submit, status, cancel) failed: see its log group.`,
      metric: props.trainingFunction.metricErrors({ period: Duration.minutes(5) }),
      threshold: 1,
    });
    this.fsxAlmostFull = this.alarm('FsxAlmostFull', {
      alarmName: `${namePrefix}-fsx-almost-full`,
      alarmDescription:
        `The FSx file system of ${clusterName} has less than ${props.fsxLowFreeGiB} GiB free, about what the next checkpoint ` +
        'needs: a save that does not fit fails the run. Free space on /fsx (old runs under /fsx/trainium-cpt/runs, ' +
        'checkpoints already in S3), or raise fsxStorageGiB (an update in place).',
      metric: trainingMetric('fsxFreeGiB', clusterName, { statistic: cloudwatch.Stats.MINIMUM }),
      threshold: props.fsxLowFreeGiB,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });
    const action = new actions.SnsAction(props.topic);
    for (const alarm of this.all) alarm.addAlarmAction(action);
  }

  get all(): cloudwatch.Alarm[] {
    return [this.trainingFailed, this.trainingStalled, this.agentSilent, this.functionErrors, this.fsxAlmostFull];
  }

  /** An alarm that fires on the first data point at or above `threshold`, and never on missing data, unless told. */
  private alarm(
    id: string,
    props: Pick<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription' | 'metric' | 'threshold'> &
      Partial<Pick<cloudwatch.AlarmProps, 'comparisonOperator' | 'evaluationPeriods' | 'treatMissingData'>>,
  ) {
    const evaluationPeriods = props.evaluationPeriods ?? 1;
    return new cloudwatch.Alarm(this, id, {
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
    });
  }
}
