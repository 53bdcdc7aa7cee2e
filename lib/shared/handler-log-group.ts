import { CfnResource, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';

/**
 * CDK's stack-wide custom-resource handlers (that empty a default security group, or a bucket on destroy) write to a
 * log group that nothing owns, which would outlive `cdk destroy`. This creates that group in `scope`, before the
 * handler first runs (`user` depends on it), so that the stack removes it.
 *
 * @param providerId id of CDK's provider in the stack, such as `Custom::S3AutoDeleteObjectsCustomResourceProvider`
 * @param user the custom resource whose first call runs the handler
 */
export function ownHandlerLogGroup(
  scope: Construct,
  id: string,
  providerId: string,
  user: IConstruct | undefined,
): void {
  const provider = Stack.of(scope).node.tryFindChild(providerId);
  const handler = provider?.node.tryFindChild('Handler') as CfnResource | undefined;
  if (!handler || !user) return;
  const logGroup = new logs.LogGroup(scope, id, {
    logGroupName: Fn.join('', ['/aws/lambda/', handler.ref]),
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  user.node.addDependency(logGroup);
}
