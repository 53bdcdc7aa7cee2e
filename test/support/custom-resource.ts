import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

const SERVICE_TOKEN = 'arn:aws:lambda:us-east-1:123456789012:function:provider';

/** What the events of one custom resource name: its stack, logical and physical ID, type and properties. */
export interface CustomResource {
  readonly stackId: string;
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
  readonly properties: object;
}

/** The event CloudFormation sends the provider for a request on this resource (an update keeps its properties). */
export function customResourceEvent(
  requestType: 'Create' | 'Update' | 'Delete',
  resource: CustomResource,
): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: SERVICE_TOKEN,
    ResponseURL: 'https://example.invalid/response',
    StackId: resource.stackId,
    RequestId: 'request-1',
    LogicalResourceId: resource.logicalId,
    ResourceType: resource.type,
    ResourceProperties: { ServiceToken: SERVICE_TOKEN, ...resource.properties },
  };
  const PhysicalResourceId = resource.physicalId;
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Delete') return { ...base, RequestType: 'Delete', PhysicalResourceId };
  return { ...base, RequestType: 'Update', PhysicalResourceId, OldResourceProperties: base.ResourceProperties };
}
