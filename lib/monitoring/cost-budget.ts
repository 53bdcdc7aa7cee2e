import * as budgets from 'aws-cdk-lib/aws-budgets';
import { Construct } from 'constructs';
import { AlertsTopic } from './alerts-topic';

/**
 * Budget period. A run spans weeks, so a MONTHLY budget would reset in the middle of one (and judge each month
 * against the whole run's cost). CloudFormation documents MONTHLY, QUARTERLY and ANNUALLY for COST budgets (the
 * Budgets API's CUSTOM period is not among them), and a TimePeriod would need a start date fixed at synthesis, which
 * would change the template at every synth. ANNUALLY covers the calendar year: a run is measured whole unless it
 * crosses 1 January, and earlier runs of the same project in the same year count too.
 */
export const BUDGET_TIME_UNIT = 'ANNUALLY';

/** The notifications of the budget, in percent of its limit. */
export const BUDGET_NOTIFICATIONS = [
  { notificationType: 'ACTUAL', threshold: 80 },
  { notificationType: 'ACTUAL', threshold: 100 },
  { notificationType: 'FORECASTED', threshold: 100 },
] as const;

export interface CostBudgetProps {
  /** Unique in the account. */
  readonly budgetName: string;
  /** The limit, in US dollars: the plan's cost of a run plus the configured margin. */
  readonly budgetLimitUsd: number;
  /** The cost allocation tag that marks the project's resources (the app tags every resource with it). */
  readonly tag: { readonly key: string; readonly value: string };
  /** Where the notifications go. */
  readonly alerts: AlertsTopic;
}

/**
 * An AWS Budgets cost budget of everything tagged with the project's tag, that notifies the alerts topic at 80% and
 * 100% of actual cost and at 100% of forecast cost.
 *
 * The tag filter sees only costs of resources tagged `project` AFTER that tag is activated as a cost allocation tag
 * (Billing and Cost Management console → Cost allocation tags, once per account; it appears there a day after the
 * first tagged resource exists, and counts costs from its activation on). Until then the budget stays at zero.
 */
export class CostBudget extends Construct {
  readonly budget: budgets.CfnBudget;

  constructor(scope: Construct, id: string, props: CostBudgetProps) {
    super(scope, id);
    if (!Number.isFinite(props.budgetLimitUsd) || props.budgetLimitUsd <= 0) {
      throw new Error(`Budget limit ${props.budgetLimitUsd} USD: must be a positive number of dollars`);
    }
    props.alerts.allowBudgets();
    this.budget = new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetName: props.budgetName,
        budgetType: 'COST',
        timeUnit: BUDGET_TIME_UNIT,
        budgetLimit: { amount: Math.ceil(props.budgetLimitUsd), unit: 'USD' },
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
