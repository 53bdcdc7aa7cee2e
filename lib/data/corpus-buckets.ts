import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ownHandlerLogGroup } from '../shared/handler-log-group';

export interface CorpusBucketsProps {
  /**
   * Age at which objects of the scratch bucket (Glue temporary files, the job's intermediate files) expire.
   * @default Duration.days(14)
   */
  readonly scratchExpiration?: Duration;
  /**
   * Age at which server access logs expire.
   * @default Duration.days(365)
   */
  readonly accessLogExpiration?: Duration;
  /**
   * How long a checkpoint, export or report that was overwritten or deleted stays recoverable as a noncurrent
   * version of the checkpoints bucket.
   * @default Duration.days(30)
   */
  readonly checkpointNoncurrentExpiration?: Duration;
}

/** Settings every bucket of the data stack shares: private, encrypted, reachable over TLS 1.2 or later only. */
const PRIVATE_BUCKET: s3.BucketProps = {
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
};

/**
 * The buckets of the pipeline: raw corpora, prepared datasets and checkpoints (kept by `cdk destroy`: they cost time
 * and money to rebuild), a scratch bucket that destroy empties and removes, and a bucket for the server access logs
 * of the others.
 */
export class CorpusBuckets extends Construct {
  /** Raw corpora (JSON Lines or Parquet), uploaded by the user. */
  readonly raw: s3.Bucket;
  /** Tokenized, training-ready datasets, one folder per run. */
  readonly datasets: s3.Bucket;
  /** Checkpoints (exported by FSx for Lustre as training writes them), exported models, evaluation results. */
  readonly checkpoints: s3.Bucket;
  /** Glue's temporary directory and the job's intermediate files. */
  readonly scratch: s3.Bucket;
  /** Server access logs of the buckets above, one prefix each. */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: CorpusBucketsProps = {}) {
    super(scope, id);

    // Log delivery writes through a bucket policy (feature flag @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy),
    // not the log-delivery ACL, so this bucket can keep ACLs disabled like the others. S3 delivers access logs only
    // to SSE-S3 buckets, which PRIVATE_BUCKET is. It cannot log to itself; cdk-nag (AwsSolutions-S1) recognizes it
    // as the others' log destination and needs no acknowledgement.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...PRIVATE_BUCKET,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: props.accessLogExpiration ?? Duration.days(365) }],
    });
    this.raw = new s3.Bucket(this, 'Raw', {
      ...PRIVATE_BUCKET,
      removalPolicy: RemovalPolicy.RETAIN,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'raw/',
    });
    this.datasets = new s3.Bucket(this, 'Datasets', {
      ...PRIVATE_BUCKET,
      removalPolicy: RemovalPolicy.RETAIN,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'datasets/',
    });
    // Versioned, so that an overwrite or a delete (a rerun under the same name, a mistaken `aws s3 rm`) can be undone
    // for a while; checkpoints are written once, as new objects, so versions cost only what was overwritten or
    // deleted, and only until they expire.
    this.checkpoints = new s3.Bucket(this, 'Checkpoints', {
      ...PRIVATE_BUCKET,
      removalPolicy: RemovalPolicy.RETAIN,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'checkpoints/',
      lifecycleRules: [
        {
          noncurrentVersionExpiration: props.checkpointNoncurrentExpiration ?? Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    this.scratch = new s3.Bucket(this, 'Scratch', {
      ...PRIVATE_BUCKET,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'scratch/',
      lifecycleRules: [
        {
          expiration: props.scratchExpiration ?? Duration.days(14),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    ownHandlerLogGroup(
      this,
      'AutoDeleteHandlerLogs',
      'Custom::S3AutoDeleteObjectsCustomResourceProvider',
      this.scratch.node.tryFindChild('AutoDeleteObjectsCustomResource'),
    );
  }
}
