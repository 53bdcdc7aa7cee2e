import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { budgetLimits, estimateRun } from '../../lib/plan/estimate';
import { AlertsTopic } from '../../lib/monitoring/alerts-topic';
import { CostBudget } from '../../lib/monitoring/cost-budget';
import { MonitoringStack } from '../../lib/stacks/monitoring-stack';
import { defaultConfig, synthApp } from '../support/app';
import { monitoringTemplate, resource } from './support';

const template = monitoringTemplate();
// Logical IDs: the daily budget keeps the ID it had when it was the only one (Budget...), the run budget is RunBudget...
const daily = resource(template, 'AWS::Budgets::Budget', 'Budget');
const run = resource(template, 'AWS::Budgets::Budget', 'RunBudget');
const TOPIC = { Ref: expect.stringMatching(/^AlertsTopic[0-9A-F]{8}$/) };
const notification = (threshold: number) => ({
  Notification: {
    NotificationType: 'ACTUAL',
    ComparisonOperator: 'GREATER_THAN',
    Threshold: threshold,
    ThresholdType: 'PERCENTAGE',
  },
  Subscribers: [{ SubscriptionType: 'SNS', Address: TOPIC }],
});

test('two cost budgets: <projectName>-daily-cost (DAILY) and <projectName>-run-cost (ANNUALLY), neither with a fixed TimePeriod', () => {
  template.resourceCountIs('AWS::Budgets::Budget', 2);
  expect(daily.Properties.Budget).toMatchObject({
    BudgetName: 'trainium-cpt-daily-cost',
    BudgetType: 'COST',
    TimeUnit: 'DAILY',
  });
  expect(run.Properties.Budget).toMatchObject({
    BudgetName: 'trainium-cpt-run-cost',
    BudgetType: 'COST',
    TimeUnit: 'ANNUALLY',
  });
  // A start date fixed at synthesis would change the template at every synth.
  expect(daily.Properties.Budget.TimePeriod).toBeUndefined();
  expect(run.Properties.Budget.TimePeriod).toBeUndefined();
  const med = monitoringTemplate({ projectName: 'med' });
  expect(
    Object.values(med.findResources('AWS::Budgets::Budget'))
      .map((b) => b.Properties.Budget.BudgetName)
      .sort(),
  ).toEqual(['med-daily-cost', 'med-run-cost']);
});

test("the daily limit is the plan's day of training plus budgetMarginPercent: $9,565 + 20% = $11,478 for the seed run", () => {
  const e = estimateRun(defaultConfig());
  expect(daily.Properties.Budget.BudgetLimit).toEqual({ Amount: 11_478, Unit: 'USD' });
  expect(daily.Properties.Budget.BudgetLimit.Amount).toBe(Math.ceil(e.dailyTotal * 1.2));
  const wider = resource(monitoringTemplate({ budgetMarginPercent: 50 }), 'AWS::Budgets::Budget', 'Budget');
  expect(wider.Properties.Budget.BudgetLimit.Amount).toBe(Math.ceil(e.dailyTotal * 1.5));
});

test("the run limit is the plan's conservative run cost plus budgetMarginPercent: $88,097.84 + 20% = $105,718 for the seed run", () => {
  // By hand, at the low published throughput (20,736 tokens/s per node) and us-east-1 prices:
  //   264,006,270,976 tokens ÷ (16 nodes × 20,736 tokens/s) ÷ 3,600 = 221.038 h of training;
  //   Trainium 221.038 h × 16 × $24.78 = $87,637.11; head node 221.038 × $0.68 = $150.31;
  //   FSx 2,400 GiB × $0.34 (500 MB/s/TiB) × 221.038 ÷ 730 = $247.08; NAT 221.038 × $0.045 = $9.95;
  //   S3 6,489 GiB × $0.023 × 221.038 ÷ 730 = $45.19; Glue tokenization $8.21 (once);
  //   total $88,097.84 × 1.2 = $105,717.41, rounded up: $105,718.
  const e = estimateRun(defaultConfig());
  expect(e.runTotal.high).toBeCloseTo(88_097.84, 2);
  expect(run.Properties.Budget.BudgetLimit).toEqual({ Amount: 105_718, Unit: 'USD' });
  expect(run.Properties.Budget.BudgetLimit.Amount).toBe(Math.ceil(e.runTotal.high * 1.2));
  // The high (slow) total, not the low one ($70,309 × 1.2 = $84,371).
  expect(run.Properties.Budget.BudgetLimit.Amount).toBeGreaterThan(Math.ceil(e.runTotal.low * 1.2));
  const noMargin = resource(monitoringTemplate({ budgetMarginPercent: 0 }), 'AWS::Budgets::Budget', 'RunBudget');
  expect(noMargin.Properties.Budget.BudgetLimit.Amount).toBe(88_098);
  // More tokens, a longer run: the run limit follows, the daily one barely moves (only S3 grows).
  const twice = monitoringTemplate({ plannedTrainTokens: 176e9 });
  expect(resource(twice, 'AWS::Budgets::Budget', 'RunBudget').Properties.Budget.BudgetLimit.Amount).toBeGreaterThan(
    2 * 105_718 - 100,
  );
  expect(resource(twice, 'AWS::Budgets::Budget', 'Budget').Properties.Budget.BudgetLimit.Amount).toBeLessThan(
    11_478 + 20,
  );
});

test("the stack's budgetLimits, each rounded up to whole dollars", () => {
  const { app, stacks } = synthApp();
  const other = new MonitoringStack(app, 'Other', {
    stackName: 'other-monitoring',
    config: defaultConfig(),
    tokenizeJob: stacks.data.tokenizeJob,
    cluster: stacks.cluster.cluster,
    trainingFunction: stacks.training.training.function,
    budgetLimits: { dailyUsd: 1234.01, runUsd: 5678 },
  });
  const t = Template.fromStack(other);
  expect(resource(t, 'AWS::Budgets::Budget', 'Budget').Properties.Budget.BudgetLimit).toEqual({
    Amount: 1235,
    Unit: 'USD',
  });
  expect(resource(t, 'AWS::Budgets::Budget', 'RunBudget').Properties.Budget.BudgetLimit).toEqual({
    Amount: 5678,
    Unit: 'USD',
  });
  expect(budgetLimits(defaultConfig())).toEqual({ marginPercent: 20, dailyUsd: 11_478, runUsd: 105_718 });
});

test('a Region the plan cannot price gets no budget, and a synth warning that says why', () => {
  const { stacks } = synthApp({ region: 'eu-west-1', trainiumAz: 'auto' });
  const template = Template.fromStack(stacks.monitoring);
  template.resourceCountIs('AWS::Budgets::Budget', 0);
  expect(stacks.monitoring.budgets).toBeUndefined();
  Annotations.fromStack(stacks.monitoring).hasWarning(
    '*',
    Match.stringLikeRegexp('No cost budget: the plan has no prices for Region eu-west-1'),
  );
  // No budget, so no statement for AWS Budgets in the topic policy either.
  const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
  expect(policy.Properties.PolicyDocument.Statement.map((s: { Sid?: string }) => s.Sid)).not.toContain(
    'BudgetsPublish',
  );
});

test('a priced Region gives no such warning', () => {
  const { stacks } = synthApp();
  Annotations.fromStack(stacks.monitoring).hasNoWarning('*', Match.stringLikeRegexp('No cost budget'));
});

describe('capacity bought outside the app: a Capacity Block, a reservation', () => {
  // By hand, a day of what stays deployed (us-east-1): head node c5.4xlarge $0.68 × 24 = $16.32; FSx 2,400 GiB × $0.34
  // × 24 ÷ 730 = $26.83; NAT $0.045 × 24 = $1.08; S3 (datasets 21,505,881 rows × 36,876 bytes + 63 checkpoints × 98 GB)
  // in GiB × $0.023 × 24 ÷ 730 = $4.91.
  const datasetBytes = (21_484_375 + 21_506) * (4096 * 9 + 12);
  const s3Day = ((datasetBytes + 63 * 98e9) / 2 ** 30) * 0.023 * (24 / 730);
  const deployedDay = 0.68 * 24 + 2400 * 0.34 * (24 / 730) + 0.045 * 24 + s3Day; // $49.13
  const BLOCK = {
    capacityType: 'capacity-block',
    capacityReservationId: 'cr-0123456789abcdef0',
    instanceType: 'trn1.32xlarge',
  } as const;
  const limit = (t: ReturnType<typeof monitoringTemplate>, id: string) =>
    resource(t, 'AWS::Budgets::Budget', id).Properties.Budget.BudgetLimit.Amount;

  test('Capacity Block: the daily limit leaves out the block (paid once, up front): $49.13 + 20% = $59', () => {
    const t = monitoringTemplate(BLOCK);
    expect(deployedDay).toBeCloseTo(49.13, 2);
    expect(limit(t, 'Budget')).toBe(59); // ⌈49.134 × 1.2⌉
    // The nodes are not in a day of training: a day of on-demand trn1.32xlarge would be 16 × 24 × $21.50 = $8,256 more.
    const onDemand = monitoringTemplate({ instanceType: 'trn1.32xlarge' });
    expect(limit(onDemand, 'Budget')).toBe(Math.ceil((16 * 24 * 21.5 + deployedDay) * 1.2)); // $9,967
  });

  test('Capacity Block: the run limit counts the block once, whole: 16 × 11 days × 24 h × $21.50 = $90,816', () => {
    // The rest of the run as the seed run's (221.038 h of training): head node $150.31, FSx $247.08, NAT $9.95, S3
    // $45.19, Glue $8.21: $460.74. (90,816 + 460.74) × 1.2 = $109,532.09, rounded up.
    expect(limit(monitoringTemplate(BLOCK), 'RunBudget')).toBe(109_533);
    // At capacityPricePerNodeHour 11.5: 16 × 264 × 11.5 = $48,576; (48,576 + 460.74) × 1.2 = $58,844.09.
    expect(limit(monitoringTemplate({ ...BLOCK, capacityPricePerNodeHour: 11.5 }), 'RunBudget')).toBe(58_845);
  });

  test("reservation: the daily and run limits are on-demand's (instances in it are billed as instances, tagged)", () => {
    const t = monitoringTemplate({ capacityType: 'reservation', capacityReservationId: 'cr-0123456789abcdef0' });
    // 16 × 24 × $24.78 = $9,515.52 + $49.13 = $9,564.65 × 1.2 = $11,477.58; the run as the seed run's, $105,718.
    expect(limit(t, 'Budget')).toBe(11_478);
    expect(limit(t, 'RunBudget')).toBe(105_718);
  });
});

describe('the CostBudget construct refuses, naming the prop and what is accepted', () => {
  const stack = new Stack(new App(), 'Budget');
  const alerts = new AlertsTopic(stack, 'Alerts', { topicName: 'alerts' });
  const base = {
    budgetName: 'b',
    timeUnit: 'ANNUALLY' as const,
    limitUsd: 100,
    notifications: [{ notificationType: 'ACTUAL' as const, threshold: 100 }],
    tag: { key: 'project', value: 'p' },
    alerts,
  };

  test('a limit that is not a positive number of dollars', () => {
    for (const limit of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new CostBudget(stack, `B${limit}`, { ...base, limitUsd: limit })).toThrow(
        `limitUsd = ${limit}: not a budget limit. Accepted: a positive number of dollars`,
      );
    }
  });

  test('no notification, or a threshold that is not a positive percentage', () => {
    expect(() => new CostBudget(stack, 'None', { ...base, notifications: [] })).toThrow('b: no notifications');
    expect(
      () => new CostBudget(stack, 'Zero', { ...base, notifications: [{ notificationType: 'ACTUAL', threshold: 0 }] }),
    ).toThrow('b: threshold = 0: not a percentage of the limit');
  });

  test('a FORECASTED notification on a DAILY budget; on an ANNUALLY one it is accepted', () => {
    const forecast = [{ notificationType: 'FORECASTED' as const, threshold: 100 }];
    expect(
      () => new CostBudget(stack, 'DailyForecast', { ...base, timeUnit: 'DAILY', notifications: forecast }),
    ).toThrow('b: a FORECASTED notification on a DAILY budget. Accepted: ACTUAL');
    expect(() => new CostBudget(stack, 'AnnualForecast', { ...base, notifications: forecast })).not.toThrow();
  });
});

test('counts only the costs tagged project = <projectName> (the cost allocation tag user:project), both budgets', () => {
  expect(daily.Properties.Budget.CostFilters).toEqual({ TagKeyValue: ['user:project$trainium-cpt'] });
  expect(run.Properties.Budget.CostFilters).toEqual({ TagKeyValue: ['user:project$trainium-cpt'] });
  const med = monitoringTemplate({ projectName: 'med' });
  expect(resource(med, 'AWS::Budgets::Budget', 'Budget').Properties.Budget.CostFilters).toEqual({
    TagKeyValue: ['user:project$med'],
  });
  expect(resource(med, 'AWS::Budgets::Budget', 'RunBudget').Properties.Budget.CostFilters).toEqual({
    TagKeyValue: ['user:project$med'],
  });
});

test('the daily budget notifies the topic at actual cost > 100% only: no forecast for a day, no 80% (a normal day is 83%)', () => {
  expect(daily.Properties.NotificationsWithSubscribers).toEqual([notification(100)]);
  // A day of training at the plan's prices stays under the limit: no alert on a normal day.
  const e = estimateRun(defaultConfig());
  expect((e.dailyTotal / daily.Properties.Budget.BudgetLimit.Amount) * 100).toBeCloseTo(83.3, 1);
});

test('the run budget notifies the topic at actual cost > 80% and > 100%, no FORECASTED', () => {
  expect(run.Properties.NotificationsWithSubscribers).toEqual([notification(80), notification(100)]);
  // The slow run (the high total) reaches 80% of the limit (96% of its own cost) near its end, not 100%; the fast one neither.
  const e = estimateRun(defaultConfig());
  const limit = run.Properties.Budget.BudgetLimit.Amount;
  expect((e.runTotal.high / limit) * 100).toBeGreaterThan(80);
  expect((e.runTotal.high / limit) * 100).toBeLessThan(100);
  expect((e.runTotal.low / limit) * 100).toBeLessThan(80);
});

test('both budgets are created after the topic policy that lets AWS Budgets publish, which has one statement for them', () => {
  for (const budget of [daily, run]) {
    expect(budget.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^AlertsTopicPolicy/)]));
  }
  const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
  const statements = policy.Properties.PolicyDocument.Statement.filter(
    (s: { Sid?: string }) => s.Sid === 'BudgetsPublish',
  );
  expect(statements).toHaveLength(1);
  expect(statements[0].Principal).toEqual({ Service: 'budgets.amazonaws.com' });
});
