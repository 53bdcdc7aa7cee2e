import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The service-linked role through which FSx for Lustre reaches a linked bucket (one per file system). */
export const FSX_S3_SERVICE_LINKED_ROLE_PATH = 'role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/';

export interface FsxLinkingPolicyProps {
  /** The buckets FSx for Lustre may be linked to. */
  readonly buckets: s3.Bucket[];
}

/**
 * A managed policy for whoever links FSx for Lustre to these buckets (ParallelCluster's provider, which creates the
 * cluster's data repository associations with its own role). Creating an association asks of its caller s3:Get*,
 * s3:List* and s3:PutObject on the bucket, and creating FSx's service-linked role for S3 and putting a policy on it:
 * ParallelCluster's own ParallelClusterFSxS3AccessPolicy (Sids FSxS3PoliciesAttach and EnableFSxS3Access of
 * cloudformation/policies/parallelcluster-policies.yaml, which the custom resource's template does not turn on),
 * here scoped to our buckets; see also https://docs.aws.amazon.com/fsx/latest/LustreGuide/setting-up.html.
 * In the buckets' stack, so that cdk-nag names them by their logical IDs.
 */
export class FsxLinkingPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: FsxLinkingPolicyProps) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, 'Resource', {
      description: "Link FSx for Lustre to the datasets and checkpoints buckets (for ParallelCluster's provider)",
      statements: [
        new iam.PolicyStatement({
          sid: 'FsxS3ServiceLinkedRole',
          actions: ['iam:CreateServiceLinkedRole', 'iam:AttachRolePolicy', 'iam:PutRolePolicy'],
          resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${FSX_S3_SERVICE_LINKED_ROLE_PATH}*`],
        }),
        new iam.PolicyStatement({
          sid: 'LinkedBuckets',
          actions: ['s3:Get*', 's3:List*', 's3:PutObject'],
          resources: props.buckets.flatMap((bucket) => [bucket.bucketArn, bucket.arnForObjects('*')]),
        }),
      ],
    });
    const asked =
      "What FSx asks of the caller that links a bucket (ParallelCluster's own FSx policy), on the linked buckets only.";
    const stack = Stack.of(this);
    Validations.of(this.policy).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:Get*]', reason: asked },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:List*]', reason: asked },
      ...props.buckets.map((bucket) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason: asked,
      })),
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:${FSX_S3_SERVICE_LINKED_ROLE_PATH}*]`,
        reason:
          'FSx makes one such role per file system, named after its ID: it exists only once the file system does.',
      },
    );
  }
}
