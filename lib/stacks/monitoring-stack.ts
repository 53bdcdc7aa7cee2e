import { Annotations, CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ParallelCluster } from '../cluster/parallel-cluster';
import { CptConfig } from '../config/schema';
import { AlertsTopic } from '../monitoring/alerts-topic';
import { BudgetKind, budgetName, DAILY_BUDGET, RUN_BUDGET } from '../monitoring/budget-kinds';
import { CostBudget } from '../monitoring/cost-budget';
import { GlueFailureRule } from '../monitoring/glue-failure-rule';
import { RunAlarms } from '../monitoring/run-alarms';
import { RunDashboard } from '../monitoring/run-dashboard';
import type { BudgetLimits } from '../plan/estimate';
import { describeStallDerivation, stallThreshold } from '../plan/stall-threshold';
import { fsxLowFreeGiB } from '../run/storage';
import { PROJECT_TAG_KEY } from '../shared/project-tag';

export interface MonitoringStackProps extends StackProps {
  readonly config: CptConfig;
  /** DataStack.tokenizeJob: a rule reports its failed runs, the dashboard shows its metrics. */
  readonly tokenizeJob: glue.IJob;
  /**
   * ClusterStack.cluster: the head-node agent's metrics carry its name; the heartbeat alarm names its head node. A
   * reference to the cluster's stack, so `cdk destroy` of that stack destroys this one first.
   */
  readonly cluster: Pick<ParallelCluster, 'clusterName' | 'headNodeInstanceId'>;
  /** TrainingStack.training.function: its errors raise an alarm. */
  readonly trainingFunction: lambda.IFunction;
  /**
   * Limits of the two cost budgets, in US dollars (lib/plan/estimate.ts budgetLimits): `dailyUsd` of the DAILY budget
   * (the plan's day of training plus budgetMarginPercent) and `runUsd` of the ANNUALLY budget of the whole run (the
   * plan's conservative run cost plus budgetMarginPercent).
   * @default no budgets (the plan has no prices for the Region): a synth warning says so
   */
  readonly budgetLimits?: Pick<BudgetLimits, 'dailyUsd' | 'runUsd'>;
}

/**
 * Watching a run: the alerts topic (and its e-mail subscription), the alarms of the training run (failed, stalled,
 * the head node's agent silent) and of the training function, a rule on failed runs of the tokenization job, the
 * dashboard, and the two cost budgets of the project's tag: daily and whole run.
 */
export class MonitoringStack extends Stack {
  readonly alerts: AlertsTopic;
  readonly alarms: RunAlarms;
  readonly glueFailures: GlueFailureRule;
  readonly dashboard: RunDashboard;
  readonly budgets?: { readonly daily: CostBudget; readonly run: CostBudget };

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config } = props;
    const cluster = props.cluster.clusterName;
    const stall = stallThreshold(config);
    const stallAfter = Duration.minutes(stall.minutes);
    const stallAfterBasis =
      stall.from === 'stallAlarmMinutes'
        ? 'stallAlarmMinutes'
        : `derived by the plan: ${describeStallDerivation(stall.derived)}`;

    this.alerts = new AlertsTopic(this, 'Alerts', {
      topicName: `${config.projectName}-alerts`,
      email: config.notificationEmail,
    });
    this.alarms = new RunAlarms(this, 'Alarms', {
      namePrefix: config.projectName,
      clusterName: cluster,
      headNodeInstanceId: props.cluster.headNodeInstanceId,
      stallAfter,
      stallAfterBasis,
      fsxLowFreeGiB: fsxLowFreeGiB(),
      trainingFunction: props.trainingFunction,
      topic: this.alerts.topic,
    });
    this.alerts.allowAlarms(this.alarms.all);
    this.glueFailures = new GlueFailureRule(this, 'GlueFailures', {
      ruleName: `${config.projectName}-tokenize-failed`,
      job: props.tokenizeJob,
      alerts: this.alerts,
    });
    this.dashboard = new RunDashboard(this, 'Dashboard', {
      dashboardName: config.projectName,
      glueJob: props.tokenizeJob,
      glueFailures: this.glueFailures.triggered,
      clusterName: cluster,
      stallAfter,
      trainingFunction: props.trainingFunction,
      alarms: this.alarms.all,
    });
    if (props.budgetLimits === undefined) {
      Annotations.of(this).addWarningV2(
        'trainium-cpt:no-budget',
        `No cost budget: the plan has no prices for Region ${config.region} (npm run plan says which Regions it prices).`,
      );
    } else {
      const budget = (id: string, kind: BudgetKind, limitUsd: number) =>
        new CostBudget(this, id, {
          budgetName: budgetName(config.projectName, kind),
          timeUnit: kind.timeUnit,
          limitUsd,
          notifications: kind.notifications,
          tag: { key: PROJECT_TAG_KEY, value: config.projectName },
          alerts: this.alerts,
        });
      this.budgets = {
        // 'Budget': the logical ID of the one budget before there were two.
        daily: budget('Budget', DAILY_BUDGET, props.budgetLimits.dailyUsd),
        run: budget('RunBudget', RUN_BUDGET, props.budgetLimits.runUsd),
      };
    }

    new CfnOutput(this, 'AlertsTopicArn', {
      value: this.alerts.topic.topicArn,
      description: 'SNS topic of alarms, failed tokenization runs and budget alerts: subscribe to it',
    });
    new CfnOutput(this, 'DashboardName', { value: config.projectName, description: 'CloudWatch dashboard of the run' });
  }
}
