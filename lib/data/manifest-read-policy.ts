import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DATASETS_PREFIX } from './job-arguments';

/** The manifests of tokenization runs (`datasets/<run>/manifest.json`), the only objects the policy lets one read. */
const MANIFEST_OBJECTS = `${DATASETS_PREFIX}*/manifest.json`;

export const MANIFEST_READ_REASON =
  'The training function reads the manifest of whichever run it is asked to train: objects named manifest.json under datasets/ only.';

export interface ManifestReadPolicyProps {
  /** The bucket of the tokenized datasets. */
  readonly datasetsBucket: s3.Bucket;
}

/**
 * A managed policy that may read the manifests of tokenization runs and nothing else (for the training function,
 * which reads the manifest of the run it is asked to train). s3:GetObject only: the bucket's grantRead would add
 * s3:GetObject*, s3:GetBucket* and s3:List* on the whole bucket. In the bucket's stack, so that cdk-nag names the
 * bucket by its logical ID (a consumer stack sees it as another stack's output), as FsxLinkingPolicy does.
 */
export class ManifestReadPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ManifestReadPolicyProps) {
    super(scope, id);
    const bucket = props.datasetsBucket;
    this.policy = new iam.ManagedPolicy(this, 'Resource', {
      description: 'Read the manifests of tokenization runs (datasets/<run>/manifest.json) in the datasets bucket',
      statements: [
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(MANIFEST_OBJECTS)] }),
      ],
    });
    const bucketId = Stack.of(this).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(this.policy).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${MANIFEST_OBJECTS}]`,
      reason: MANIFEST_READ_REASON,
    });
  }
}
