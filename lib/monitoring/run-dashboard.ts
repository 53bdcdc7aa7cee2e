import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { trainingMetric, withLabel } from './training-metric';
import { TrainingMetricKey } from './metrics';

/**
 * Glue job metrics on the dashboard, with the dimensions Glue publishes them under (JobName, JobRunId = ALL for every
 * run of the job, Type = count): both are deltas since Glue's previous report, summed by the dashboard.
 */
export const GLUE_JOB_METRICS = [
  { metricName: 'glue.driver.aggregate.recordsRead', label: 'Records read', type: glue.MetricType.COUNT },
  { metricName: 'glue.driver.aggregate.elapsedTime', label: 'ETL time (ms)', type: glue.MetricType.COUNT },
] as const;

export interface RunDashboardProps {
  readonly dashboardName: string;
  /** The tokenization job. */
  readonly glueJob: glue.IJob;
  /** Failed runs of the job (the TriggeredRules metric of GlueFailureRule). */
  readonly glueFailures: cloudwatch.IMetric;
  /** The cluster whose metrics the head-node agent publishes. */
  readonly clusterName: string;
  /** Drawn as a line on the minutes-since-last-step graph. */
  readonly stallAfter: Duration;
  /** The training function. */
  readonly trainingFunction: lambda.IFunction;
  /** Shown in the alarm status widget. */
  readonly alarms: cloudwatch.IAlarm[];
}

/**
 * One CloudWatch dashboard for a run, top to bottom in the order of the pipeline: the tokenization job, the training
 * run on the cluster (from the head-node agent's metrics), the training function, and the state of every alarm.
 */
export class RunDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: RunDashboardProps) {
    super(scope, id);
    const { clusterName } = props;
    const graph = (title: string, metrics: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left: metrics, width: 8, height: 6, ...extra });
    const heading = (markdown: string) => new cloudwatch.TextWidget({ markdown, width: 24, height: 1 });
    const { glueJob, trainingFunction } = props;
    const fiveMinutes = Duration.minutes(5);
    const glueMetric = ({ metricName, label, type }: (typeof GLUE_JOB_METRICS)[number]) =>
      glueJob.metric(metricName, type, { statistic: cloudwatch.Stats.SUM, period: fiveMinutes, label });
    const stallMinutes = props.stallAfter.toMinutes();
    const agent = (key: TrainingMetricKey, statistic: string) =>
      withLabel(trainingMetric(key, clusterName, { statistic }), key);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
      widgets: [
        [heading(`## Tokenization: Glue job ${glueJob.jobName}`)],
        [
          graph('Records read', [glueMetric(GLUE_JOB_METRICS[0])]),
          graph('ETL time', [glueMetric(GLUE_JOB_METRICS[1])]),
          graph('Failed runs (FAILED, TIMEOUT, ERROR)', [props.glueFailures]),
        ],
        [heading(`## Training on ${clusterName} (published every minute by the head node's agent)`)],
        [
          graph('Training step', [agent('trainingStep', cloudwatch.Stats.MAXIMUM)]),
          graph('Training loss', [agent('trainingLoss', cloudwatch.Stats.AVERAGE)]),
          graph('Tokens per second', [agent('tokensPerSecond', cloudwatch.Stats.AVERAGE)]),
        ],
        [
          graph('Minutes since the last step', [agent('minutesSinceLastStep', cloudwatch.Stats.MAXIMUM)], {
            leftAnnotations: [
              { value: stallMinutes, label: `Stalled (${stallMinutes} min)`, color: cloudwatch.Color.RED },
            ],
          }),
          graph('Trainium nodes up', [agent('nodesUp', cloudwatch.Stats.MINIMUM)]),
          graph('Failed jobs', [agent('failedJobs', cloudwatch.Stats.SUM)]),
        ],
        [heading(`## Training function ${trainingFunction.functionName} (submit, status, cancel)`)],
        [
          graph('Invocations', [trainingFunction.metricInvocations({ period: fiveMinutes, label: 'Invocations' })]),
          graph('Errors', [trainingFunction.metricErrors({ period: fiveMinutes, label: 'Errors' })]),
        ],
        [heading('## Alarms')],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24, height: 3 })],
      ],
    });
  }
}
