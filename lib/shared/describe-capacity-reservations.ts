import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * Allows ec2:DescribeCapacityReservations, in the given stack's Region only. The action has no resource type, so its
 * Resource can only be "*"; its one condition key is ec2:Region (Service Authorization Reference,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html; also
 * iann0036/iam-dataset aws/iam_definition.json). Used by the zone picker (lib/network/trainium-zone.ts) and the
 * submit function (lib/training/training-function.ts).
 */
export function describeCapacityReservationsStatement(scope: Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['ec2:DescribeCapacityReservations'],
    resources: ['*'],
    // ec2:Region rather than aws:RequestedRegion: it is the key the reference lists for this action, and it keeps
    // the policy of stacks already deployed unchanged.
    conditions: { StringEquals: { 'ec2:Region': scope.region } },
  });
}
