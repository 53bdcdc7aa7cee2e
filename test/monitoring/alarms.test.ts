import { checkpointBytes } from '../../lib/plan/figures';
import { deriveStallThreshold } from '../../lib/plan/stall-threshold';
import { fsxLowFreeGiB } from '../../lib/run/storage';
import { defaultConfig } from '../support/app';
import { flatten, monitoringTemplate, otherStacks, resource } from './support';

const template = monitoringTemplate();
const TOPIC = { Ref: expect.stringMatching(/^AlertsTopic[0-9A-F]{8}$/) };
const CLUSTER = [{ Name: 'ClusterName', Value: 'trainium-cpt-pcluster' }];

/** What the alarms on a data point have in common: one 5-minute period, ≥ threshold, missing data not breaching, to the topic. */
const COMMON = {
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  EvaluationPeriods: 1,
  DatapointsToAlarm: 1,
  Period: 300,
  TreatMissingData: 'notBreaching',
  AlarmActions: [TOPIC],
  Tags: [{ Key: 'project', Value: 'trainium-cpt' }],
};

test('five alarms, no more', () => {
  template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
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

describe('training stalled', () => {
  const stalled = resource(template, 'AWS::CloudWatch::Alarm', 'AlarmsTrainingStalled').Properties;

  test('MinutesSinceLastStep, Maximum over 1 minute (every sample as it comes) ≥ the threshold; no data (no train job) is not breaching', () => {
    expect(stalled).toEqual({
      ...COMMON,
      Period: 60,
      AlarmName: 'trainium-cpt-training-stalled',
      AlarmDescription: expect.any(String),
      Namespace: 'TrainiumCpt',
      MetricName: 'MinutesSinceLastStep',
      Dimensions: CLUSTER,
      Statistic: 'Maximum',
      Threshold: 13,
    });
  });

  test("unset stallAlarmMinutes: the plan's 13 minutes for the seed run, and the description says how they come about", () => {
    expect(defaultConfig().stallAlarmMinutes).toBeUndefined();
    expect(stalled.Threshold).toBe(deriveStallThreshold(defaultConfig()).minutes);
    expect(stalled.AlarmDescription).toContain(
      'no new step for 13 minutes or more (derived by the plan: the longer wait for a step line, after a (re)start 5.0 min launch (assumed)',
    );
    expect(stalled.AlarmDescription).toContain('+ 1.4 min for a checkpoint save');
    expect(stalled.AlarmDescription.length).toBeLessThanOrEqual(1024);
  });

  test('follows the plan: faster FSx, a lower threshold', () => {
    const faster = monitoringTemplate({ fsxThroughputPerTiB: 1000 });
    expect(resource(faster, 'AWS::CloudWatch::Alarm', 'AlarmsTrainingStalled').Properties.Threshold).toBe(12);
  });

  test('stallAlarmMinutes, when set, is the threshold', () => {
    const other = monitoringTemplate({ stallAlarmMinutes: 25, projectName: 'law' });
    expect(resource(other, 'AWS::CloudWatch::Alarm', 'AlarmsTrainingStalled').Properties).toMatchObject({
      AlarmName: 'law-training-stalled',
      AlarmDescription: expect.stringContaining('25 minutes or more (stallAlarmMinutes)'),
      Threshold: 25,
      Period: 60,
      Dimensions: [{ Name: 'ClusterName', Value: 'law-pcluster' }],
    });
  });
});

describe('metrics agent silent (the heartbeat)', () => {
  const silent = resource(template, 'AWS::CloudWatch::Alarm', 'AlarmsAgentSilent').Properties;

  test('FailedJobs, which the agent sends at every sample: SampleCount < 1 over 5 minutes, 2 periods of 2, missing data breaching', () => {
    expect(silent).toEqual({
      AlarmName: 'trainium-cpt-metrics-agent-silent',
      AlarmDescription: expect.anything(),
      Namespace: 'TrainiumCpt',
      MetricName: 'FailedJobs',
      Dimensions: CLUSTER,
      Statistic: 'SampleCount',
      Period: 300,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'breaching',
      AlarmActions: [TOPIC],
      Tags: [{ Key: 'project', Value: 'trainium-cpt' }],
    });
  });

  test('one lost sample cannot fire it: 10 minutes of silence at least, and a dead head node is seen within 15', () => {
    // A sample a minute; a period is empty only after 5 minutes of silence, and 2 empty periods in a row are needed.
    const minutes = (silent.Period / 60) * silent.EvaluationPeriods;
    expect(minutes).toBe(10);
    // The worst case: the last sample at the start of its period, then two whole empty periods.
    expect(silent.Period / 60 + minutes).toBeLessThanOrEqual(15);
  });

  test("names the head node and what to check on it: the instance's state, then the agent's service", () => {
    const text = flatten(silent.AlarmDescription);
    expect(text).toContain('has published nothing for 10 minutes');
    expect(text).toContain(
      'aws ec2 describe-instance-status --include-all-instances --instance-ids <HeadNodeInstanceId>',
    );
    expect(text).toContain('systemctl status trainium-cpt-metrics');
    expect(text).toContain('journalctl -u trainium-cpt-metrics');
    expect(silent.AlarmDescription['Fn::Join'][1]).toContainEqual(otherStacks().HeadNodeInstanceId);
  });
});

test('FSx almost full: FsxFreeGiB, Minimum over 5 minutes, below one checkpoint and a quarter (115 GiB for 7B); no data (no FSx) is not breaching', () => {
  // A checkpoint of 7e9 parameters × 14 bytes (lib/plan/figures.ts) is 91.3 GiB; × 1.25, rounded up: 115.
  expect(fsxLowFreeGiB()).toBe(115);
  expect(fsxLowFreeGiB()).toBe(Math.ceil((1.25 * checkpointBytes()) / 2 ** 30));
  const alarm = resource(template, 'AWS::CloudWatch::Alarm', 'AlarmsFsxAlmostFull').Properties;
  expect(alarm).toEqual({
    ...COMMON,
    ComparisonOperator: 'LessThanThreshold',
    AlarmName: 'trainium-cpt-fsx-almost-full',
    AlarmDescription: expect.stringContaining(`less than ${fsxLowFreeGiB()} GiB free`),
    Namespace: 'TrainiumCpt',
    MetricName: 'FsxFreeGiB',
    Dimensions: CLUSTER,
    Statistic: 'Minimum',
    Threshold: fsxLowFreeGiB(),
  });
});

test("training function errors: the function's Errors, Sum over 5 minutes ≥ 1", () => {
  expect(resource(template, 'AWS::CloudWatch::Alarm', 'AlarmsFunctionErrors').Properties).toEqual({
    ...COMMON,
    AlarmName: 'trainium-cpt-training-function-errors',
    AlarmDescription: expect.any(Object),
    Namespace: 'AWS/Lambda',
    MetricName: 'Errors',
    Dimensions: [{ Name: 'FunctionName', Value: otherStacks().TrainingFunctionName }],
    Statistic: 'Sum',
    Threshold: 1,
  });
});
