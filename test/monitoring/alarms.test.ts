import { monitoringTemplate, fromStack, resource } from './support';

const template = monitoringTemplate();
const TOPIC = { Ref: expect.stringMatching(/^AlertsTopic[0-9A-F]{8}$/) };
const CLUSTER = [{ Name: 'ClusterName', Value: 'trainium-cpt-pcluster' }];

/** What every alarm of the stack has in common: one 5-minute period, ≥ threshold, missing data not breaching, to the topic. */
const COMMON = {
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  EvaluationPeriods: 1,
  DatapointsToAlarm: 1,
  Period: 300,
  TreatMissingData: 'notBreaching',
  AlarmActions: [TOPIC],
  Tags: [{ Key: 'project', Value: 'trainium-cpt' }],
};

test('three alarms, no more', () => {
  template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
});

test('training job failed: FailedJobs of the cluster, Sum over 5 minutes ≥ 1', () => {
  expect(resource(template, 'AWS::CloudWatch::Alarm', 'AlarmsTrainingFailed').Properties).toEqual({
    ...COMMON,
    AlarmName: 'trainium-cpt-training-job-failed',
    AlarmDescription: expect.stringContaining('failed'),
    Namespace: 'TrainiumCpt',
    MetricName: 'FailedJobs',
    Dimensions: CLUSTER,
    Statistic: 'Sum',
    Threshold: 1,
  });
});

test('training stalled: MinutesSinceLastStep, Maximum ≥ stallAlarmMinutes; no data (no train job running) is not breaching', () => {
  expect(resource(template, 'AWS::CloudWatch::Alarm', 'AlarmsTrainingStalled').Properties).toEqual({
    ...COMMON,
    AlarmName: 'trainium-cpt-training-stalled',
    AlarmDescription: expect.stringContaining('60 minutes'),
    Namespace: 'TrainiumCpt',
    MetricName: 'MinutesSinceLastStep',
    Dimensions: CLUSTER,
    Statistic: 'Maximum',
    Threshold: 60,
  });
});

test('the stall threshold follows stallAlarmMinutes', () => {
  const other = monitoringTemplate({ stallAlarmMinutes: 25, projectName: 'law' });
  expect(resource(other, 'AWS::CloudWatch::Alarm', 'AlarmsTrainingStalled').Properties).toMatchObject({
    AlarmName: 'law-training-stalled',
    AlarmDescription: expect.stringContaining('25 minutes'),
    Threshold: 25,
    Dimensions: [{ Name: 'ClusterName', Value: 'law-pcluster' }],
  });
});

test("training function errors: the function's Errors, Sum over 5 minutes ≥ 1", () => {
  expect(resource(template, 'AWS::CloudWatch::Alarm', 'AlarmsFunctionErrors').Properties).toEqual({
    ...COMMON,
    AlarmName: 'trainium-cpt-training-function-errors',
    AlarmDescription: expect.any(Object),
    Namespace: 'AWS/Lambda',
    MetricName: 'Errors',
    Dimensions: [{ Name: 'FunctionName', Value: fromStack('trainium-cpt-training', 'TrainingFunctionName') }],
    Statistic: 'Sum',
    Threshold: 1,
  });
});
