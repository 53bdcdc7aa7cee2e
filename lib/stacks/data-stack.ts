import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CptConfig } from '../config/schema';
import { CorpusBuckets } from '../data/corpus-buckets';
import { FsxLinkingPolicy } from '../data/fsx-linking-policy';
import { HuggingFaceSecret } from '../data/hugging-face-secret';
import { TokenizeJob } from '../data/tokenize-job';

export interface DataStackProps extends StackProps {
  readonly config: CptConfig;
}

/** The data pipeline: buckets of corpora and datasets, the Hugging Face secret, and the Glue tokenization job. */
export class DataStack extends Stack {
  readonly rawBucket: s3.IBucket;
  readonly datasetsBucket: s3.IBucket;
  readonly checkpointsBucket: s3.IBucket;
  readonly hfTokenSecret: secretsmanager.ISecret;
  readonly tokenizeJob: glue.IJob;
  /** For ParallelCluster's provider: link the cluster's FSx for Lustre to the datasets and checkpoints buckets. */
  readonly fsxLinkingPolicy: iam.IManagedPolicy;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;

    const buckets = new CorpusBuckets(this, 'Buckets');
    const hfToken = new HuggingFaceSecret(this, 'HuggingFaceToken', {
      existingSecretName: config.hfTokenSecretName,
    });
    const tokenize = new TokenizeJob(this, 'Tokenize', {
      config,
      rawBucket: buckets.raw,
      datasetsBucket: buckets.datasets,
      scratchBucket: buckets.scratch,
      hfTokenSecret: hfToken.secret,
    });

    this.rawBucket = buckets.raw;
    this.datasetsBucket = buckets.datasets;
    this.checkpointsBucket = buckets.checkpoints;
    this.hfTokenSecret = hfToken.secret;
    this.tokenizeJob = tokenize.job;
    this.fsxLinkingPolicy = new FsxLinkingPolicy(this, 'FsxLinking', {
      buckets: [buckets.datasets, buckets.checkpoints],
    }).policy;

    const corpusPrefixes = [config.domainCorpusPrefix, config.generalCorpusPrefix].filter((p) => p !== '');
    new CfnOutput(this, 'RawBucketName', {
      value: buckets.raw.bucketName,
      description: `Raw corpora: upload them under ${corpusPrefixes.join(' and ')}`,
    });
    new CfnOutput(this, 'DatasetsBucketName', {
      value: buckets.datasets.bucketName,
      description: 'Tokenized datasets, one folder per run',
    });
    new CfnOutput(this, 'CheckpointsBucketName', {
      value: buckets.checkpoints.bucketName,
      description: 'Checkpoints, exported models and evaluation results; kept by cdk destroy',
    });
    new CfnOutput(this, 'ScratchBucketName', {
      value: buckets.scratch.bucketName,
      description: 'Temporary files; emptied by cdk destroy',
    });
    new CfnOutput(this, 'TokenizeJobName', {
      value: tokenize.job.jobName,
      description: 'Glue job that tokenizes the corpora',
    });
    new CfnOutput(this, 'HfTokenSecretArn', {
      value: hfToken.secret.secretArn,
      description: 'Secret that holds the Hugging Face token',
    });
  }
}
