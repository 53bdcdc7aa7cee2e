/**
 * The project's two AWS Budgets cost budgets, both of every cost tagged `project = <projectName>`: what each watches,
 * its period and its notifications. Pure constants, free of CDK: lib/monitoring/cost-budget.ts builds the budgets
 * from them, and the plan (lib/plan/format.ts) prints them. The limits come from the plan: lib/plan/estimate.ts
 * budgetLimits.
 *
 * AWS Budgets updates its figures up to three times a day, typically 8 to 12 hours apart (Cost Management user guide,
 * docs.aws.amazon.com/cost-management/latest/userguide/budgets-managing-costs.html), and sends an ACTUAL alert once per
 * budget and period, when the cost first passes the threshold (user guide, budgets-best-practices.html, "Best
 * practices for setting budget alerts"). Neither budget reacts within minutes: the alarms of the monitoring stack do.
 */

/** The periods of a cost budget that CloudFormation's AWS::Budgets::Budget accepts as TimeUnit. */
export type BudgetTimeUnit = 'DAILY' | 'MONTHLY' | 'QUARTERLY' | 'ANNUALLY';

/** A notification of a budget: the topic is told once the cost (ACTUAL) or its forecast passes `threshold`% of the limit. */
export interface BudgetNotification {
  readonly notificationType: 'ACTUAL' | 'FORECASTED';
  /** Percent of the budget's limit. */
  readonly threshold: number;
}

export interface BudgetKind {
  /** The budget's name is `<projectName>-<nameSuffix>`. */
  readonly nameSuffix: string;
  readonly timeUnit: BudgetTimeUnit;
  readonly notifications: readonly BudgetNotification[];
}

/**
 * The daily budget, `<projectName>-daily-cost`: DAILY, its limit a day of training (every Trainium node for 24 hours,
 * and a day of the head node, FSx, the NAT gateway and S3) plus budgetMarginPercent. With a Capacity Block the nodes are
 * left out: the block is paid once, up front, so a tagged block passes the limit on the day it is charged (one alert)
 * and the budget then watches the rest (lib/plan/estimate-costs.ts).
 *
 * It catches a rate of spending well above the plan (a second cluster, twice the nodes), within the budget's refresh
 * lag. A DAILY budget counts only the current UTC day, and with updates 8 to 12 hours apart it may see only part of a
 * day before it resets: a day whose cost ends a little over the limit may never alert, and the alert comes hours after
 * the spending began. It is not a measure of the run's total: the run budget is.
 *
 * Notifications: ACTUAL only.
 * - FORECASTED is not offered for daily budgets (see cost-budget.ts, which refuses it).
 * - No 80% notification: a normal day of training already costs 100 ÷ (100 + budgetMarginPercent) of the limit (83%
 *   with the default 20%), so it would fire every day of every run.
 */
export const DAILY_BUDGET: BudgetKind = {
  nameSuffix: 'daily-cost',
  timeUnit: 'DAILY',
  notifications: [{ notificationType: 'ACTUAL', threshold: 100 }],
};

/**
 * The run budget, `<projectName>-run-cost`: ANNUALLY, its limit the plan's conservative cost of the whole run (the high
 * total: the low throughput) plus budgetMarginPercent. It catches what stays under the daily limit but adds up: a hung
 * prepare or compile job (not a train job, so the stalled-training alarm does not see it), a cluster left idle, a run
 * slower or longer than planned, restarts.
 *
 * Period:
 * - Not MONTHLY: a run of 7 to 9 days (the seed run) can straddle the 1st of a month, and a MONTHLY budget would reset
 *   in the middle of it and judge each part on its own against the whole run's limit: neither part would alert.
 * - Not a period of the run's own dates: CloudFormation's TimeUnit offers DAILY, MONTHLY, QUARTERLY and ANNUALLY (the
 *   Budgets API's CUSTOM is not among them), and a TimePeriod would need a start date fixed at synthesis, which would
 *   change the template at every synth.
 * - ANNUALLY is acceptable: it counts the calendar year (UTC), so a run is measured whole unless it crosses 1 January.
 *   Earlier runs of the same project in the same year count too: a second run of the year starts with the first one's
 *   cost (a normal run is 100 ÷ (100 + budgetMarginPercent) of the limit: 83% with the default 20%), so its alerts come
 *   early, and a threshold an earlier run of the year already passed does not alert again (one ACTUAL alert per period).
 *   So does what stays deployed between runs (head node, FSx, NAT gateway, S3: npm run plan prints it per month).
 *
 * Notifications: ACTUAL at 80% and 100%. With the default 20% margin, 80% of the limit is 96% of the plan's conservative
 * total: a heads-up that the run has cost about what the plan allowed for it; 100% means it cost more than the plan and
 * its margin. No FORECASTED: AWS needs about five weeks of usage data before it forecasts (user guide,
 * budgets-best-practices.html), longer than a run, and an ANNUALLY budget forecasts to the end of the year, which would
 * extrapolate a run's spending over the months after it.
 */
export const RUN_BUDGET: BudgetKind = {
  nameSuffix: 'run-cost',
  timeUnit: 'ANNUALLY',
  notifications: [
    { notificationType: 'ACTUAL', threshold: 80 },
    { notificationType: 'ACTUAL', threshold: 100 },
  ],
};

/** The name of a budget of this project: unique in the account, as AWS Budgets requires. */
export function budgetName(projectName: string, kind: BudgetKind): string {
  return `${projectName}-${kind.nameSuffix}`;
}

/** The notifications of a budget as words, e.g. "actual cost > 80%, > 100% of the limit". */
export function describeNotifications(kind: BudgetKind): string {
  const actual = kind.notifications.filter((n) => n.notificationType === 'ACTUAL').map((n) => `> ${n.threshold}%`);
  const forecast = kind.notifications
    .filter((n) => n.notificationType === 'FORECASTED')
    .map((n) => `> ${n.threshold}%`);
  return [
    actual.length ? `actual cost ${actual.join(', ')}` : '',
    forecast.length ? `forecast ${forecast.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}
