import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { FSX_MOUNT_DIR } from '../../lib/cluster/cluster-config';
import { METRICS_AGENT_DIR } from '../../lib/cluster/metrics-agent';
import {
  CLUSTER_NAME_DIMENSION,
  METRICS_NAMESPACE,
  PUBLISH_INTERVAL_SECONDS,
  RUNS_DIR,
  TRAINING_METRICS,
} from '../../lib/monitoring/metrics';
import { synthApp } from '../support/app';
import { otherStacks } from './support';

describe('the monitoring stack', () => {
  test('is <projectName>-monitoring, deployed after the data, cluster and training stacks whose values it reads', () => {
    const { app, stacks } = synthApp({ projectName: 'med' });
    app.synth(); // CDK records a stack's dependencies when it resolves the references between stacks.
    expect(stacks.monitoring.stackName).toBe('med-monitoring');
    // On the cluster directly: the heartbeat alarm exists only while the cluster does (cdk destroy of the cluster
    // stack destroys the stacks that depend on it first).
    expect(stacks.monitoring.dependencies.map((s) => s.stackName).sort()).toEqual([
      'med-cluster',
      'med-data',
      'med-training',
    ]);
  });

  test('reads from the other stacks what their documented outputs give the CLIs, and publishes nothing itself', () => {
    const { stacks } = synthApp();
    const reads = otherStacks();
    for (const [output, reference] of Object.entries(reads)) {
      const { StackName, OutputName } = reference['Fn::GetStackOutput'];
      const producer = Object.values(stacks).find((stack) => stack.stackName === StackName)!;
      const outputs = Template.fromStack(producer).findOutputs('*');
      expect(outputs[OutputName].Value).toEqual(outputs[output].Value);
    }
    expect(Object.keys(Template.fromStack(stacks.monitoring).findOutputs('*')).sort()).toEqual([
      'AlertsTopicArn',
      'DashboardName',
    ]);
  });
});

describe('the custom-metrics contract (lib/monitoring/metrics.ts) and the agent that publishes it', () => {
  // The entry and its modules (metrics_agent/), as one text.
  const modules = path.join(METRICS_AGENT_DIR, 'metrics_agent');
  const agent = ['cpt_metrics_agent.py', ...fs.readdirSync(modules).map((name) => path.join('metrics_agent', name))]
    .filter((name) => name.endsWith('.py'))
    .map((name) => fs.readFileSync(path.join(METRICS_AGENT_DIR, name), 'utf8'))
    .join('\n');

  test('seven metrics, each with its unit', () => {
    expect(Object.values(TRAINING_METRICS).map(({ name, unit }) => [name, unit])).toEqual([
      ['TrainingStep', 'None'],
      ['TrainingLoss', 'None'],
      ['TrainingTokensPerSecond', 'Count/Second'],
      ['MinutesSinceLastStep', 'None'],
      ['NodesUp', 'Count'],
      ['FsxFreeGiB', 'None'],
      ['FailedJobs', 'Count'],
    ]);
  });

  test.each(Object.values(TRAINING_METRICS))('the agent publishes $name in $unit', ({ name, unit }) => {
    // The name and the unit on one line of the agent (where it makes the data point).
    expect(agent).toMatch(new RegExp(`"${name}"[^\\n]*"${unit}"`));
  });

  test("the agent's defaults are the contract's: namespace, dimension, interval and runs folder", () => {
    expect(agent).toContain(`DEFAULT_NAMESPACE = "${METRICS_NAMESPACE}"`);
    expect(agent).toContain(`DIMENSION = "${CLUSTER_NAME_DIMENSION}"`);
    expect(agent).toContain(`DEFAULT_INTERVAL = ${PUBLISH_INTERVAL_SECONDS}`);
    expect(agent).toContain(`DEFAULT_RUNS_DIR = "${RUNS_DIR}"`);
    expect(agent).toContain(`DEFAULT_FSX_DIR = "${FSX_MOUNT_DIR}"`);
  });
});
