import { Template } from 'aws-cdk-lib/assertions';
import { CptConfig } from '../../lib/config/schema';
import { synthApp } from '../support/app';

/** The monitoring stack's template, with configuration overrides. */
export function monitoringTemplate(overrides: Partial<CptConfig> = {}): Template {
  return Template.fromStack(synthApp(overrides).stacks.monitoring);
}

/** A documented output of another stack, read with Fn::GetStackOutput. */
export const fromStack = (stackName: string, output: string) => ({
  'Fn::GetStackOutput': { StackName: stackName, Region: { Ref: 'AWS::Region' }, OutputName: output },
});

/** The one resource of a type whose logical ID starts with `prefix`. */
export function resource(template: Template, type: string, prefix: string) {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  expect(found).toHaveLength(1);
  return found[0][1];
}

/**
 * A token of a template as a readable placeholder: `<OutputName>` for another stack's output, `<LogicalId>` for a
 * Ref, `<LogicalId.Attr>` for a GetAtt, `<AWS::Region>` for a pseudo parameter; a Fn::Sub as its text.
 */
function placeholder(token: Record<string, unknown>): string {
  if (token['Fn::GetStackOutput']) return `<${(token['Fn::GetStackOutput'] as { OutputName: string }).OutputName}>`;
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
