import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { budgetLimitUsd } from '../../lib/plan/estimate';
import { AlertsTopic } from '../../lib/monitoring/alerts-topic';
import { CostBudget } from '../../lib/monitoring/cost-budget';
import { MonitoringStack } from '../../lib/stacks/monitoring-stack';
import { defaultConfig, synthApp } from '../support/app';
import { monitoringTemplate, resource } from './support';

const template = monitoringTemplate();
const budget = resource(template, 'AWS::Budgets::Budget', 'Budget');
const TOPIC = { Ref: expect.stringMatching(/^AlertsTopic[0-9A-F]{8}$/) };

test('one cost budget of the calendar year: a run of weeks is measured whole (a monthly budget would reset mid-run)', () => {
  template.resourceCountIs('AWS::Budgets::Budget', 1);
  expect(budget.Properties.Budget).toMatchObject({ BudgetName: 'trainium-cpt-cost', BudgetType: 'COST', TimeUnit: 'ANNUALLY' });
  expect(budget.Properties.Budget.TimePeriod).toBeUndefined();
});

test("the limit is the stack's budgetLimitUsd, rounded up to whole dollars", () => {
  const { app, stacks } = synthApp();
  const other = new MonitoringStack(app, 'Other', {
    stackName: 'other-monitoring',
    config: defaultConfig(),
    dataStack: stacks.data,
    trainingStack: stacks.training,
    budgetLimitUsd: 1234.01,
  });
  expect(resource(Template.fromStack(other), 'AWS::Budgets::Budget', 'Budget').Properties.Budget.BudgetLimit).toEqual({
    Amount: 1235,
    Unit: 'USD',
  });
  // The app's own: the plan's (lib/app.ts).
  expect(budget.Properties.Budget.BudgetLimit).toEqual({ Amount: budgetLimitUsd(defaultConfig()), Unit: 'USD' });
});

test('a Region the plan cannot price gets no budget, and a synth warning that says why', () => {
  const { stacks } = synthApp({ region: 'eu-west-1', trainiumAz: 'auto' });
  const template = Template.fromStack(stacks.monitoring);
  template.resourceCountIs('AWS::Budgets::Budget', 0);
  Annotations.fromStack(stacks.monitoring).hasWarning('*', Match.stringLikeRegexp('No cost budget: the plan has no prices for Region eu-west-1'));
});

test('a limit that is not a positive number of dollars fails synthesis', () => {
  const stack = new Stack(new App(), 'Budget');
  const alerts = new AlertsTopic(stack, 'Alerts', { topicName: 'alerts' });
  for (const limit of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
    expect(() => new CostBudget(stack, `B${limit}`, { budgetName: 'b', budgetLimitUsd: limit, tag: { key: 'project', value: 'p' }, alerts })).toThrow(
      /must be a positive number of dollars/,
    );
  }
});

test("counts only the costs tagged project = <projectName> (the cost allocation tag user:project)", () => {
  expect(budget.Properties.Budget.CostFilters).toEqual({ TagKeyValue: ['user:project$trainium-cpt'] });
  const other = resource(monitoringTemplate({ projectName: 'med' }), 'AWS::Budgets::Budget', 'Budget');
  expect(other.Properties.Budget.CostFilters).toEqual({ TagKeyValue: ['user:project$med'] });
});

test('notifies the alerts topic at 80% and 100% of actual cost and at 100% of forecast cost', () => {
  const notification = (NotificationType: string, Threshold: number) => ({
    Notification: { NotificationType, ComparisonOperator: 'GREATER_THAN', Threshold, ThresholdType: 'PERCENTAGE' },
    Subscribers: [{ SubscriptionType: 'SNS', Address: TOPIC }],
  });
  expect(budget.Properties.NotificationsWithSubscribers).toEqual([
    notification('ACTUAL', 80),
    notification('ACTUAL', 100),
    notification('FORECASTED', 100),
  ]);
});

test('is created after the topic policy that lets AWS Budgets publish', () => {
  expect(budget.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^AlertsTopicPolicy/)]));
});
