/**
 * How cdk-nag 3 names a resource in its IAM5 finding IDs (its utils/flatten-cfn-reference): joins flattened,
 * `Fn::GetAtt` as `<LogicalId.Attr>`, `Ref` as `<LogicalId>`, anything else as its JSON.
 */
export function nagResourceName(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const value = node as Record<string, unknown>;
  if (value['Fn::Join']) {
    const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
    return items.map(nagResourceName).join(delimiter);
  }
  if (value['Fn::Sub']) return nagResourceName(value['Fn::Sub']);
  if (value['Fn::GetAtt']) {
    const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
    return `<${nagResourceName(resource)}.${nagResourceName(attribute)}>`;
  }
  if (value['Fn::ImportValue']) return nagResourceName(value['Fn::ImportValue']);
  if (value.Ref) return `<${nagResourceName(value.Ref)}>`;
  return JSON.stringify(node);
}
