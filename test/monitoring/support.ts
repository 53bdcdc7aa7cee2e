import { isDeepStrictEqual } from 'util';
import { Template } from 'aws-cdk-lib/assertions';
import { CptConfig } from '../../lib/config/schema';
import { synthApp } from '../support/app';
import { weakReference } from '../support/weak-reference';

/** The monitoring stack's template, with configuration overrides. */
export function monitoringTemplate(overrides: Partial<CptConfig> = {}): Template {
  return Template.fromStack(synthApp(overrides).stacks.monitoring);
}

/**
 * The other stacks' values the monitoring stack reads (weak references), named after the documented output of the
 * same value, which the CLIs read.
 */
export const otherStacks = memoize(() => {
  const { stacks } = synthApp();
  return {
    TokenizeJobName: weakReference(stacks.data, stacks.data.tokenizeJob.jobName),
    HeadNodeInstanceId: weakReference(stacks.cluster, stacks.cluster.cluster.headNodeInstanceId),
    TrainingFunctionName: weakReference(stacks.training, stacks.training.training.function.functionName),
  };
});

function memoize<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** The one resource of a type whose logical ID starts with `prefix`. */
export function resource(template: Template, type: string, prefix: string) {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  expect(found).toHaveLength(1);
  return found[0][1];
}

/**
 * A token of a template as a readable placeholder: `<TokenizeJobName>` and the like for another stack's value (see
 * otherStacks), `<LogicalId>` for a Ref, `<LogicalId.Attr>` for a GetAtt, `<AWS::Region>` for a pseudo parameter; a
 * Fn::Sub as its text.
 */
export function placeholder(token: Record<string, unknown>): string {
  if (token['Fn::GetStackOutput']) {
    const found = Object.entries(otherStacks()).find(([, ref]) => isDeepStrictEqual(ref, token));
    if (!found) throw new Error(`unexpected reference ${JSON.stringify(token)}`);
    return `<${found[0]}>`;
  }
  if (token['Fn::GetAtt']) return `<${(token['Fn::GetAtt'] as string[]).join('.')}>`;
  if (token.Ref) return `<${token.Ref as string}>`;
  if (typeof token['Fn::Sub'] === 'string') return token['Fn::Sub'];
  throw new Error(`unexpected token ${JSON.stringify(token)}`);
}

/** A string of the template (literal or Fn::Join), with its tokens as placeholders. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as Record<string, unknown>)['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map((part) => (typeof part === 'string' ? part : flatten(part))).join(join[0]);
  return placeholder(value as Record<string, unknown>);
}

/** The dashboard's body as an object (tokens as placeholders). */
export function dashboardBody(template: Template) {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  return JSON.parse(flatten(dashboard.Properties.DashboardBody)) as {
    start: string;
    widgets: Array<{ type: string; width: number; height: number; properties: Record<string, any> }>;
  };
}
