import { Template } from 'aws-cdk-lib/assertions';
import { synthApp } from './support/app';

// Stacks hand each other constructs; every reference between them must stay weak (cdk.json:
// @aws-cdk/core:defaultCrossStackReferences = weak), so that CloudFormation never refuses to update or delete a
// stack because another one imports its values.
const { app, stacks } = synthApp({ autoSubmitOnDataReady: true });
app.synth();
const templates = Object.values(stacks).map((stack) => ({ stack, json: Template.fromStack(stack).toJSON() }));

test('no stack exports a value or imports one: references between stacks are Fn::GetStackOutput', () => {
  for (const { json } of templates) {
    expect(JSON.stringify(json)).not.toContain('Fn::ImportValue');
    for (const output of Object.values(json.Outputs ?? {})) expect(output).not.toHaveProperty('Export');
  }
  expect(templates.flatMap(({ json }) => reads(json)).length).toBeGreaterThan(0);
});

/** Every Fn::GetStackOutput of a template: which stack and output it reads. */
function reads(node: unknown): Array<{ StackName: string; OutputName: string }> {
  if (node === null || typeof node !== 'object') return [];
  const read = (node as Record<string, unknown>)['Fn::GetStackOutput'];
  if (read) return [read as { StackName: string; OutputName: string }];
  return Object.values(node).flatMap(reads);
}

test('every value a stack publishes for another is read by one, from a stack it deploys after', () => {
  for (const { stack: producer, json } of templates) {
    const published = Object.keys(json.Outputs ?? {}).filter((id) => id.startsWith('Publish'));
    for (const id of published) {
      const readers = templates.filter(({ json: consumer }) =>
        reads(consumer).some((read) => read.StackName === producer.stackName && read.OutputName === id),
      );
      expect(readers.length).toBeGreaterThan(0);
      for (const { stack: consumer } of readers) expect(consumer.dependencies).toContain(producer);
    }
  }
});

test('the stacks deploy in this order: network and data, cluster, training, monitoring', () => {
  const after = (name: keyof typeof stacks) => stacks[name].dependencies.map((s) => s.node.id).sort();
  expect(after('network')).toEqual([]);
  expect(after('data')).toEqual([]);
  expect(after('cluster')).toEqual(['Data', 'Network']);
  expect(after('training')).toEqual(['Cluster', 'Data']);
  expect(after('monitoring')).toEqual(['Cluster', 'Data', 'Training']);
});
