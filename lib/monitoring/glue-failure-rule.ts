import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import { AlertsTopic } from './alerts-topic';

/** The states of a Glue job run that end it without a dataset. */
export const GLUE_FAILED_STATES = ['FAILED', 'TIMEOUT', 'ERROR'];

export interface GlueFailureRuleProps {
  /** Name of the rule. */
  readonly ruleName: string;
  /** The tokenization job. */
  readonly job: glue.IJob;
  /** Where the notice goes. */
  readonly alerts: AlertsTopic;
}

/**
 * An EventBridge rule that tells the alerts topic, in one readable line, when a run of the tokenization job ends
 * failed, timed out or in error. Glue publishes no metric of failed runs, hence a rule rather than an alarm; its
 * `AWS/Events TriggeredRules` metric (`triggered`) counts the failed runs on the dashboard.
 */
export class GlueFailureRule extends Construct {
  readonly rule: events.Rule;
  /** Failed runs: how often the rule matched. */
  readonly triggered: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: GlueFailureRuleProps) {
    super(scope, id);
    const field = (name: string) => events.EventField.fromPath(`$.detail.${name}`);
    const jobName = props.job.jobName;
    this.rule = new events.Rule(this, 'Rule', {
      ruleName: props.ruleName,
      description: `Notifies the alerts topic when a run of the Glue job ${jobName} fails`,
      eventPattern: {
        source: ['aws.glue'],
        detailType: ['Glue Job State Change'],
        detail: { jobName: [jobName], state: GLUE_FAILED_STATES },
      },
    });
    this.rule.addTarget(
      props.alerts.ruleTarget(
        events.RuleTargetInput.fromText(
          `Glue job ${field('jobName')} run ${field('jobRunId')} ended ${field('state')}: ${field('message')}`,
        ),
      ),
    );
    this.triggered = new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: this.rule.ruleName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      label: 'Failed runs',
    });
  }
}
