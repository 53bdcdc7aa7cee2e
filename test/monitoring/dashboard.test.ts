import { dashboardBody, monitoringTemplate } from './support';

const template = monitoringTemplate();
const body = dashboardBody(template);
const graphs = body.widgets.filter((w) => w.type === 'metric');
/** Every metric line of every graph: [namespace, name, ...dimension name/value pairs, options]. */
const lines: unknown[][] = graphs.flatMap((w) => w.properties.metrics);
const line = (namespace: string, name: string) => {
  const found = lines.filter((l) => l[0] === namespace && l[1] === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const CLUSTER = ['ClusterName', 'trainium-cpt-pcluster'];

test('is the dashboard <projectName>, over the last 7 days, and its name is an output', () => {
  template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'trainium-cpt' });
  template.hasOutput('DashboardName', { Value: 'trainium-cpt' });
  expect(body.start).toBe('-P7D');
});

test('a one-line heading before each section: tokenization, training, the function, the alarms', () => {
  const headings = body.widgets.filter((w) => w.type === 'text');
  expect(headings.map((w) => w.properties.markdown)).toEqual([
    '## Tokenization: Glue job <TokenizeJobName>',
    "## Training on trainium-cpt-pcluster (published every minute by the head node's agent)",
    '## Training function <TrainingFunctionName> (submit, status, cancel)',
    '## Alarms',
  ]);
  for (const heading of headings) expect(heading).toMatchObject({ width: 24, height: 1 });
});

test("the Glue job: records read and ETL time, under the job's name, every run (JobRunId ALL), Type count", () => {
  for (const [name, label] of [
    ['glue.driver.aggregate.recordsRead', 'Records read'],
    ['glue.driver.aggregate.elapsedTime', 'ETL time (ms)'],
  ]) {
    expect(line('Glue', name)).toEqual([
      'Glue',
      name,
      'JobName',
      '<TokenizeJobName>',
      'JobRunId',
      'ALL',
      'Type',
      'count',
      { label, stat: 'Sum' },
    ]);
  }
});

test("the Glue job's failed runs: TriggeredRules of the failure rule", () => {
  expect(line('AWS/Events', 'TriggeredRules')).toEqual([
    'AWS/Events',
    'TriggeredRules',
    'RuleName',
    expect.stringMatching(/^<GlueFailuresRule[0-9A-F]{8}>$/),
    { label: 'Failed runs', stat: 'Sum' },
  ]);
});

test("every metric of the head-node agent, under the cluster's name", () => {
  // CloudWatch's default statistic (Average) is left out of the body.
  expect(line('TrainiumCpt', 'TrainingStep')).toEqual([
    'TrainiumCpt',
    'TrainingStep',
    ...CLUSTER,
    { label: 'Step', stat: 'Maximum' },
  ]);
  expect(line('TrainiumCpt', 'TrainingLoss')).toEqual(['TrainiumCpt', 'TrainingLoss', ...CLUSTER, { label: 'Loss' }]);
  expect(line('TrainiumCpt', 'TrainingTokensPerSecond')).toEqual([
    'TrainiumCpt',
    'TrainingTokensPerSecond',
    ...CLUSTER,
    { label: 'Tokens per second' },
  ]);
  expect(line('TrainiumCpt', 'MinutesSinceLastStep')).toEqual([
    'TrainiumCpt',
    'MinutesSinceLastStep',
    ...CLUSTER,
    { label: 'Minutes since the last step', stat: 'Maximum' },
  ]);
  expect(line('TrainiumCpt', 'NodesUp')).toEqual([
    'TrainiumCpt',
    'NodesUp',
    ...CLUSTER,
    { label: 'Trainium nodes up', stat: 'Minimum' },
  ]);
  expect(line('TrainiumCpt', 'FailedJobs')).toEqual([
    'TrainiumCpt',
    'FailedJobs',
    ...CLUSTER,
    { label: 'Failed jobs', stat: 'Sum' },
  ]);
});

test("the stall threshold (the plan's 13 minutes for the seed run) is drawn on the minutes-since-last-step graph", () => {
  const graph = graphs.find((w) => w.properties.title === 'Minutes since the last step');
  expect(graph?.properties.annotations).toEqual({
    horizontal: [{ value: 13, label: 'Stalled (13 min)', color: '#d62728', yAxis: 'left' }],
  });
});

test("the training function's invocations and errors", () => {
  for (const name of ['Invocations', 'Errors']) {
    expect(line('AWS/Lambda', name)).toEqual([
      'AWS/Lambda',
      name,
      'FunctionName',
      '<TrainingFunctionName>',
      { label: name, stat: 'Sum' },
    ]);
  }
});

test('nothing else is graphed', () => {
  expect(lines).toHaveLength(2 + 1 + 6 + 2);
});

test('an alarm status widget of the five alarms, the heartbeat among them, last', () => {
  const last = body.widgets[body.widgets.length - 1];
  expect(last.type).toBe('alarm');
  expect(last.properties.alarms).toEqual(
    ['TrainingFailed', 'TrainingStalled', 'AgentSilent', 'FunctionErrors', 'FsxAlmostFull'].map((id) =>
      expect.stringMatching(new RegExp(`^<Alarms${id}[0-9A-F]{8}\\.Arn>$`)),
    ),
  );
});
