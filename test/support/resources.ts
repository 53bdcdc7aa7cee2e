import { Template } from 'aws-cdk-lib/assertions';

/** The template has exactly as many resources of `type` as properties given, one matching each of them. */
export function expectResources(template: Template, type: string, ...properties: Record<string, unknown>[]): void {
  template.resourceCountIs(type, properties.length);
  for (const wanted of properties) template.hasResourceProperties(type, wanted);
}

/** The properties of an SSM association that runs a script on the cluster's head node, the deployment waiting for it. */
export function headNodeAssociation(waitForSuccessTimeoutSeconds: number) {
  const headNode = { 'Fn::GetAtt': [expect.stringMatching(/^ParallelCluster/), 'headNode.instanceId'] };
  return {
    Name: 'AWS-RunShellScript',
    Targets: [{ Key: 'InstanceIds', Values: [headNode] }],
    WaitForSuccessTimeoutSeconds: waitForSuccessTimeoutSeconds,
  };
}

/** The outputs a stack documents, by name: without the PublishOutput* CDK adds for other stacks' references to it. */
export function documentedOutputs(template: Template) {
  return Object.fromEntries(
    Object.entries(template.findOutputs('*')).filter(([name]) => !name.startsWith('PublishOutput')),
  );
}
