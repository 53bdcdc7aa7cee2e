import * as budgets from 'aws-cdk-lib/aws-budgets';
import { Construct } from 'constructs';
import { AlertsTopic } from './alerts-topic';

/**
 * Budget period. A run lasts days (the seed run: 7 to 9), so a budget of a day sees a run that costs more than planned
 * on its first such day, where a budget of the whole run (ANNUALLY, the plan's total) would see it only near the end.
 * The limit is a day of training, not the run's total: lib/plan/estimate.ts dailyBudgetUsd.
 */
export const BUDGET_TIME_UNIT = 'DAILY';

/**
 * The notifications of the budget, in percent of its limit: ACTUAL only.
 * - FORECASTED is not available for daily budgets: the AWS Budgets guide's page on creating a budget
 *   (docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/budgets-create.html, as quoted by DNXLabs/terraform-aws-billing
 *   release 0.1.1: "The Forecast option is not available for daily budgets"), and the Budgets API refuses a
 *   FORECASTED notification on a DAILY budget with InvalidParameterException (github.com/JiRaska/open-bank-oss pull
 *   request 226).
 * - No 80% notification: a normal day of training already costs 100 ÷ (100 + budgetMarginPercent) of the limit (83%
 *   with the default 20%), so it would fire every day of every run.
 */
export const BUDGET_NOTIFICATIONS = [{ notificationType: 'ACTUAL', threshold: 100 }] as const;

export interface CostBudgetProps {
  /** Unique in the account. */
  readonly budgetName: string;
  /** The limit of a day, in US dollars: the plan's day of training plus the configured margin. */
  readonly dailyLimitUsd: number;
  /** The cost allocation tag that marks the project's resources (the app tags every resource with it). */
  readonly tag: { readonly key: string; readonly value: string };
  /** Where the notifications go. */
  readonly alerts: AlertsTopic;
}

/**
 * A DAILY AWS Budgets cost budget of everything tagged with the project's tag, that notifies the alerts topic when the
 * actual cost of a day (UTC) passes its limit: more than a full day of the planned cluster plus the margin (a second
 * cluster, more or other nodes, a larger FSx). Idle nodes within the plan cost no more than a day of training: the
 * stalled-training alarm watches those.
 *
 * AWS Budgets updates its figures up to three times a day, typically 8 to 12 hours apart (Cost Management user guide,
 * docs.aws.amazon.com/cost-management/latest/userguide/budgets-managing-costs.html): the alert comes hours after the
 * costly day, never within minutes.
 *
 * One-time step: the tag filter sees only costs of resources tagged `project` AFTER that tag is activated as a cost
 * allocation tag, once per account (with AWS Organizations, in the management account): Billing and Cost Management
 * console → Cost allocation tags → select `project` → Activate, or
 * `aws ce update-cost-allocation-tags-status --cost-allocation-tags-status TagKey=project,Status=Active`. The tag
 * appears there only once tagged resources exist, up to 24 hours after the first one, and costs count from its
 * activation on: until then the budget stays at zero.
 */
export class CostBudget extends Construct {
  readonly budget: budgets.CfnBudget;

  constructor(scope: Construct, id: string, props: CostBudgetProps) {
    super(scope, id);
    if (!Number.isFinite(props.dailyLimitUsd) || props.dailyLimitUsd <= 0) {
      throw new Error(`dailyLimitUsd = ${props.dailyLimitUsd}: not a budget limit. Accepted: a positive number of dollars`);
    }
    props.alerts.allowBudgets();
    this.budget = new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetName: props.budgetName,
        budgetType: 'COST',
        timeUnit: BUDGET_TIME_UNIT,
        budgetLimit: { amount: Math.ceil(props.dailyLimitUsd), unit: 'USD' },
        // Budgets names user-defined cost allocation tags `user:<key>`; `$` separates the key from the value.
        costFilters: { TagKeyValue: [`user:${props.tag.key}$${props.tag.value}`] },
      },
      notificationsWithSubscribers: BUDGET_NOTIFICATIONS.map(({ notificationType, threshold }) => ({
        notification: { notificationType, comparisonOperator: 'GREATER_THAN', threshold, thresholdType: 'PERCENTAGE' },
        subscribers: [{ subscriptionType: 'SNS', address: props.alerts.topic.topicArn }],
      })),
    });
    // Budgets refuses an SNS subscriber it may not publish to: the topic policy must exist first.
    this.budget.node.addDependency(props.alerts.policy);
  }
}
