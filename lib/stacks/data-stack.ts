import { Stack, StackProps } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CptConfig } from '../config/schema';
import { CorpusBuckets } from '../data/corpus-buckets';
import { FsxLinkingPolicy } from '../data/fsx-linking-policy';
import { HuggingFaceSecret } from '../data/hugging-face-secret';
import { ManifestReadPolicy } from '../data/manifest-read-policy';
import { TokenizeJob } from '../data/tokenize-job';
import { addOutputs } from './outputs';

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
  /** For the training function: read the manifests of tokenization runs, nothing else of the datasets bucket. */
  readonly manifestReadPolicy: iam.IManagedPolicy;

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
    this.manifestReadPolicy = new ManifestReadPolicy(this, 'ManifestRead', { datasetsBucket: buckets.datasets }).policy;

    const corpusPrefixes = [config.domainCorpusPrefix, config.generalCorpusPrefix].filter((p) => p !== '');
    addOutputs(this, {
      RawBucketName: [buckets.raw.bucketName, `Raw corpora: upload them under ${corpusPrefixes.join(' and ')}`],
      DatasetsBucketName: [buckets.datasets.bucketName, 'Tokenized datasets, one folder per run'],
      CheckpointsBucketName: [
        buckets.checkpoints.bucketName,
        'Checkpoints, exported models and evaluation results; kept by cdk destroy',
      ],
      ScratchBucketName: [buckets.scratch.bucketName, 'Temporary files; emptied by cdk destroy'],
      TokenizeJobName: [tokenize.job.jobName, 'Glue job that tokenizes the corpora'],
      HfTokenSecretArn: [hfToken.secret.secretArn, 'Secret that holds the Hugging Face token'],
    });
  }
}
