import * as budgets from 'aws-cdk-lib/aws-budgets';
import { Construct } from 'constructs';
import { AlertsTopic } from './alerts-topic';
import { BudgetNotification, BudgetTimeUnit } from './budget-kinds';

export interface CostBudgetProps {
  /** Unique in the account. */
  readonly budgetName: string;
  /** The period whose cost the budget counts; it starts again at the next period (UTC). */
  readonly timeUnit: BudgetTimeUnit;
  /** The limit of a period, in US dollars (rounded up to whole dollars). */
  readonly limitUsd: number;
  /** When the alerts topic is told, in percent of the limit (GREATER_THAN). At least one. */
  readonly notifications: readonly BudgetNotification[];
  /** The cost allocation tag that marks the project's resources (the app tags every resource with it). */
  readonly tag: { readonly key: string; readonly value: string };
  /** Where the notifications go. */
  readonly alerts: AlertsTopic;
}

/**
 * An AWS Budgets cost budget of everything tagged with the project's tag, over a period, that notifies the alerts topic
 * when the cost of the period passes each threshold of its limit. The project's two, what each watches and how soon it
 * can tell: lib/monitoring/budget-kinds.ts.
 *
 * FORECASTED notifications are refused on a DAILY budget. The AWS Cost Management user guide's page "Creating a
 * budget" (budgets-create.html) said so in the versions its source repository holds from October 2020 to mid-2021
 * (github.com/awsdocs/aws-cost-management-user-guide, doc_source/budgets-create.md, first at commit c3e31eb): "The
 * Forecast option is not available for Daily Budgets because the daily budgeted amount is always evaluated against the
 * day before". The page as rewritten since (for the new console) no longer mentions daily budgets and forecasts either
 * way.
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
    if (!Number.isFinite(props.limitUsd) || props.limitUsd <= 0) {
      throw new Error(`limitUsd = ${props.limitUsd}: not a budget limit. Accepted: a positive number of dollars`);
    }
    if (props.notifications.length === 0) {
      throw new Error(
        `${props.budgetName}: no notifications, so the budget would alert nobody. Accepted: at least one`,
      );
    }
    for (const { notificationType, threshold } of props.notifications) {
      if (!Number.isFinite(threshold) || threshold <= 0) {
        throw new Error(
          `${props.budgetName}: threshold = ${threshold}: not a percentage of the limit. Accepted: a positive number`,
        );
      }
      if (notificationType === 'FORECASTED' && props.timeUnit === 'DAILY') {
        throw new Error(
          `${props.budgetName}: a FORECASTED notification on a DAILY budget. Accepted: ACTUAL (AWS Budgets does not forecast a day)`,
        );
      }
    }
    props.alerts.allowBudgets();
    this.budget = new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetName: props.budgetName,
        budgetType: 'COST',
        timeUnit: props.timeUnit,
        budgetLimit: { amount: Math.ceil(props.limitUsd), unit: 'USD' },
        // Budgets names user-defined cost allocation tags `user:<key>`; `$` separates the key from the value.
        costFilters: { TagKeyValue: [`user:${props.tag.key}$${props.tag.value}`] },
      },
      notificationsWithSubscribers: props.notifications.map(({ notificationType, threshold }) => ({
        notification: { notificationType, comparisonOperator: 'GREATER_THAN', threshold, thresholdType: 'PERCENTAGE' },
        subscribers: [{ subscriptionType: 'SNS', address: props.alerts.topic.topicArn }],
      })),
    });
    // Budgets refuses an SNS subscriber it may not publish to: the topic policy must exist first.
    this.budget.node.addDependency(props.alerts.policy);
  }
}
