import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { functionMetric, trainingMetric } from './training-metric';

export interface RunAlarmsProps {
  /** Prefix of the alarm names (the project name): the subject of every alarm e-mail starts with it. */
  readonly namePrefix: string;
  /** The cluster whose metrics the head-node agent publishes (the `ClusterName` dimension). */
  readonly clusterName: string;
  /** A train job that shows no new step for this long is stalled. */
  readonly stallAfter: Duration;
  /** The training function (submit, status, cancel). */
  readonly trainingFunctionName: string;
  /** Where every alarm goes when it fires. */
  readonly topic: sns.ITopic;
}

/**
 * The alarms of a training run, each sent to the alerts topic when it goes into ALARM:
 * - training failed: a job of the chain failed (FailedJobs, Sum over 5 minutes, ≥ 1);
 * - training stalled: a running train job has logged no new step for `stallAfter` (MinutesSinceLastStep, Maximum);
 * - training function errors: the submit/status/cancel function failed (AWS/Lambda Errors, Sum over 5 minutes, ≥ 1).
 *
 * Missing data is never breaching: the agent publishes MinutesSinceLastStep only while a train job runs, and nothing
 * at all while the cluster is not deployed; the function has no data points when nobody calls it.
 */
export class RunAlarms extends Construct {
  readonly trainingFailed: cloudwatch.Alarm;
  readonly trainingStalled: cloudwatch.Alarm;
  readonly functionErrors: cloudwatch.Alarm;

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
        `A train job on ${clusterName} has logged no new step for ${stallMinutes} minutes or more (stallAlarmMinutes). ` +
        'The nodes still cost money: look at the train log, and cancel the run if it is hung.',
      metric: trainingMetric('minutesSinceLastStep', clusterName, { statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: stallMinutes,
    });
    this.functionErrors = this.alarm('FunctionErrors', {
      alarmName: `${namePrefix}-training-function-errors`,
      alarmDescription: `The training function ${props.trainingFunctionName} (submit, status, cancel) failed: see its log group.`,
      metric: functionMetric('Errors', props.trainingFunctionName),
      threshold: 1,
    });
    const action = new actions.SnsAction(props.topic);
    for (const alarm of this.all) alarm.addAlarmAction(action);
  }

  get all(): cloudwatch.Alarm[] {
    return [this.trainingFailed, this.trainingStalled, this.functionErrors];
  }

  private alarm(id: string, props: Pick<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription' | 'metric' | 'threshold'>) {
    return new cloudwatch.Alarm(this, id, {
      ...props,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
