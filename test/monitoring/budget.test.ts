import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { dailyBudgetUsd, estimateRun } from '../../lib/plan/estimate';
import { AlertsTopic } from '../../lib/monitoring/alerts-topic';
import { CostBudget } from '../../lib/monitoring/cost-budget';
import { MonitoringStack } from '../../lib/stacks/monitoring-stack';
import { defaultConfig, synthApp } from '../support/app';
import { monitoringTemplate, resource } from './support';

const template = monitoringTemplate();
const budget = resource(template, 'AWS::Budgets::Budget', 'Budget');
const TOPIC = { Ref: expect.stringMatching(/^AlertsTopic[0-9A-F]{8}$/) };

test('one DAILY cost budget: a run lasts days, and a day that costs more than planned is seen that day, not at the end', () => {
  template.resourceCountIs('AWS::Budgets::Budget', 1);
  expect(budget.Properties.Budget).toMatchObject({ BudgetName: 'trainium-cpt-daily-cost', BudgetType: 'COST', TimeUnit: 'DAILY' });
  expect(budget.Properties.Budget.TimePeriod).toBeUndefined();
});

test("the limit is the plan's day of training plus budgetMarginPercent: $9,546 + 20% = $11,456 for the seed run", () => {
  const e = estimateRun(defaultConfig());
  expect(budget.Properties.Budget.BudgetLimit).toEqual({ Amount: dailyBudgetUsd(defaultConfig()), Unit: 'USD' });
  expect(budget.Properties.Budget.BudgetLimit.Amount).toBe(Math.ceil(e.dailyTotal * 1.2));
  expect(budget.Properties.Budget.BudgetLimit.Amount).toBe(11_456);
  // Not the run's total any more: that is some $88,000.
  expect(budget.Properties.Budget.BudgetLimit.Amount).toBeLessThan(e.runTotal.high / 5);
  const wider = resource(monitoringTemplate({ budgetMarginPercent: 50 }), 'AWS::Budgets::Budget', 'Budget');
  expect(wider.Properties.Budget.BudgetLimit.Amount).toBe(Math.ceil(e.dailyTotal * 1.5));
});

test("the stack's dailyBudgetUsd, rounded up to whole dollars", () => {
  const { app, stacks } = synthApp();
  const other = new MonitoringStack(app, 'Other', {
    stackName: 'other-monitoring',
    config: defaultConfig(),
    dataStack: stacks.data,
    clusterStack: stacks.cluster,
    trainingStack: stacks.training,
    dailyBudgetUsd: 1234.01,
  });
  expect(resource(Template.fromStack(other), 'AWS::Budgets::Budget', 'Budget').Properties.Budget.BudgetLimit).toEqual({
    Amount: 1235,
    Unit: 'USD',
  });
});

test('a Region the plan cannot price gets no budget, and a synth warning that says why', () => {
  const { stacks } = synthApp({ region: 'eu-west-1', trainiumAz: 'auto' });
  const template = Template.fromStack(stacks.monitoring);
  template.resourceCountIs('AWS::Budgets::Budget', 0);
  Annotations.fromStack(stacks.monitoring).hasWarning('*', Match.stringLikeRegexp('No cost budget: the plan has no prices for Region eu-west-1'));
});

test('a limit that is not a positive number of dollars fails synthesis, naming the prop and what is accepted', () => {
  const stack = new Stack(new App(), 'Budget');
  const alerts = new AlertsTopic(stack, 'Alerts', { topicName: 'alerts' });
  for (const limit of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
    expect(() => new CostBudget(stack, `B${limit}`, { budgetName: 'b', dailyLimitUsd: limit, tag: { key: 'project', value: 'p' }, alerts })).toThrow(
      `dailyLimitUsd = ${limit}: not a budget limit. Accepted: a positive number of dollars`,
    );
  }
});

test("counts only the costs tagged project = <projectName> (the cost allocation tag user:project)", () => {
  expect(budget.Properties.Budget.CostFilters).toEqual({ TagKeyValue: ['user:project$trainium-cpt'] });
  const other = resource(monitoringTemplate({ projectName: 'med' }), 'AWS::Budgets::Budget', 'Budget');
  expect(other.Properties.Budget.CostFilters).toEqual({ TagKeyValue: ['user:project$med'] });
});

test('notifies the alerts topic once a day costs more than the limit: ACTUAL only (daily budgets have no forecast), no 80% (a normal day is 83%)', () => {
  expect(budget.Properties.NotificationsWithSubscribers).toEqual([
    {
      Notification: { NotificationType: 'ACTUAL', ComparisonOperator: 'GREATER_THAN', Threshold: 100, ThresholdType: 'PERCENTAGE' },
      Subscribers: [{ SubscriptionType: 'SNS', Address: TOPIC }],
    },
  ]);
  // A day of training at the plan's prices stays under the limit: no alert on a normal day.
  const e = estimateRun(defaultConfig());
  expect((e.dailyTotal / budget.Properties.Budget.BudgetLimit.Amount) * 100).toBeLessThan(100);
});

test('is created after the topic policy that lets AWS Budgets publish', () => {
  expect(budget.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^AlertsTopicPolicy/)]));
});
