import { Aws, Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** The AWS services that publish to the alerts topic. */
export const ALERT_PUBLISHERS = {
  cloudWatch: 'cloudwatch.amazonaws.com',
  eventBridge: 'events.amazonaws.com',
  budgets: 'budgets.amazonaws.com',
} as const;

export interface AlertsTopicProps {
  /** Name of the topic (and the display name of its e-mails). */
  readonly topicName: string;
  /**
   * Address that receives every alert. AWS sends it a confirmation e-mail first: nothing arrives until it is confirmed.
   * @default no subscription (subscribe to the topic yourself)
   */
  readonly email?: string;
}

/**
 * The SNS topic every alarm, EventBridge rule and budget of the project publishes to, encrypted with a key of its own.
 *
 * - The key: a customer managed key (rotated yearly) whose policy lets CloudWatch, EventBridge and AWS Budgets use it.
 *   Those services cannot publish to a topic under the AWS managed `aws/sns` key, whose policy nobody can change. The
 *   key statements carry no source conditions: EventBridge does not pass aws:SourceArn/aws:SourceAccount to KMS (a
 *   condition on them would drop every event silently), and the key encrypts this topic only, so what may publish is
 *   decided by the topic policy.
 * - The topic policy: TLS only, and each service may publish only for this project's own sources: the alarms given to
 *   `allowAlarms` (aws:SourceArn, aws:SourceAccount), the rules given to `allowRule` (aws:SourceArn) and this account's
 *   budgets (`allowBudgets`, with the conditions the AWS Budgets guide gives).
 */
export class AlertsTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  private budgetsAllowed = false;

  constructor(scope: Construct, id: string, props: AlertsTopicProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the SNS topic ${props.topicName} (alarms, failed Glue runs, budget alerts)`,
      enableKeyRotation: true,
      // The key protects notifications in flight only: nothing stays encrypted under it once the topic is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    for (const [publisher, service] of Object.entries(ALERT_PUBLISHERS)) {
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Allow ${publisher} to publish alerts`,
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
        }),
      );
    }

    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: props.topicName,
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }

  /** The topic's policy (created with the topic: enforceSSL adds its first statement). */
  get policy(): sns.TopicPolicy {
    const policy = this.topic.node.tryFindChild('Policy');
    if (!(policy instanceof sns.TopicPolicy)) throw new Error('The alerts topic has no policy yet');
    return policy;
  }

  /** Lets CloudWatch publish for these alarms only. */
  allowAlarms(alarms: cloudwatch.IAlarm[]): void {
    if (alarms.length === 0) return;
    this.allow('AlarmsPublish', ALERT_PUBLISHERS.cloudWatch, {
      ArnLike: { 'aws:SourceArn': alarms.map((alarm) => alarm.alarmArn) },
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
    });
  }

  /** Lets EventBridge publish for this rule only. */
  allowRule(rule: events.IRuleRef): void {
    this.allow(`RulePublish${Names.uniqueId(rule)}`, ALERT_PUBLISHERS.eventBridge, {
      ArnEquals: { 'aws:SourceArn': rule.ruleRef.ruleArn },
    });
  }

  /**
   * Lets AWS Budgets publish for this account's budgets (the topic policy of the AWS Budgets user guide). One statement
   * for every budget: a second call adds nothing.
   */
  allowBudgets(): void {
    if (this.budgetsAllowed) return;
    this.budgetsAllowed = true;
    this.allow('BudgetsPublish', ALERT_PUBLISHERS.budgets, {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:budgets::${Aws.ACCOUNT_ID}:*` },
    });
  }

  /** A target for EventBridge rules that adds no statement of its own (targets.SnsTopic would allow every rule). */
  ruleTarget(message: events.RuleTargetInput): events.IRuleTarget {
    return {
      bind: (rule: events.IRuleRef) => {
        this.allowRule(rule);
        return { arn: this.topic.topicArn, input: message, targetResource: this.topic };
      },
    };
  }

  private allow(sid: string, service: string, conditions: Record<string, unknown>): void {
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        principals: [new iam.ServicePrincipal(service)],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions,
      }),
    );
  }
}
