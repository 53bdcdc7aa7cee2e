import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { GLUE_WORKER_TYPES } from '../config/fields';
import { CptConfig } from '../config/schema';
import { secretArnForPolicies } from './hugging-face-secret';
import { DATASETS_PREFIX, SCRATCH_PREFIX, tokenizeJobArguments } from './job-arguments';

const GLUE_DIR = path.join(__dirname, '..', '..', 'glue');
const APP_VERSION: string = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
).version;

/** Key prefix of Glue's temporary directory in the scratch bucket. */
export const GLUE_TEMP_PREFIX = 'glue-temp/';

const WORKER_TYPES: Record<(typeof GLUE_WORKER_TYPES)[number], glue.WorkerType> = {
  'G.1X': glue.WorkerType.G_1X,
  'G.2X': glue.WorkerType.G_2X,
  'G.4X': glue.WorkerType.G_4X,
  'G.8X': glue.WorkerType.G_8X,
};

/** What the job may do to objects it writes: read back, overwrite, delete, and abort unfinished multipart uploads. */
const OBJECT_READ_WRITE = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'];

export interface TokenizeJobProps {
  readonly config: CptConfig;
  /** Bucket of the raw corpora (and of the tokenizer file, if `tokenizerS3Key` is set): read only. */
  readonly rawBucket: s3.IBucket;
  /** Bucket the datasets are written to, under `datasets/`. */
  readonly datasetsBucket: s3.IBucket;
  /** Bucket of Glue's temporary directory and the job's intermediate files. */
  readonly scratchBucket: s3.IBucket;
  /** Secret that holds the Hugging Face token. */
  readonly hfTokenSecret: secretsmanager.ISecret;
  /**
   * Retention of the job's logs.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The job's entry point.
   * @default glue/tokenize_job.py of this repository
   */
  readonly scriptPath?: string;
  /**
   * Directory whose contents are zipped and given to the job as `--extra-py-files` (the `cpt_data` package).
   * @default glue/src of this repository
   */
  readonly libraryPath?: string;
  /**
   * Pinned Python packages the job installs (`--additional-python-modules`).
   * @default glue/requirements.txt of this repository
   */
  readonly requirementsPath?: string;
}

/**
 * The Glue 5.0 (PySpark) job that tokenizes the corpora into training rows, with a role that may read the corpora,
 * write under its own prefixes, read the Hugging Face secret and write its own logs and Glue metrics: nothing more.
 */
export class TokenizeJob extends Construct {
  readonly job: glue.PySparkEtlJob;
  readonly role: iam.Role;
  /** Driver and executor logs (Glue 5.0 writes them to `<prefix>/error`). */
  readonly errorLogs: logs.LogGroup;
  /** The script's stdout and stderr (`<prefix>/output`). */
  readonly outputLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: TokenizeJobProps) {
    super(scope, id);
    const { config, rawBucket, datasetsBucket, scratchBucket, hfTokenSecret } = props;
    const jobName = `${config.projectName}-tokenize`;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: `Runs the Glue job ${jobName}`,
    });

    // Glue 5.0 no longer uses the continuous-logging arguments of earlier versions (the construct's
    // `continuousLogging`): every run logs in real time to two groups under --custom-logGroup-prefix. Create those
    // groups here, so that they have a retention and `cdk destroy` removes them, rather than leave the logs in
    // account-wide groups.
    const logGroupPrefix = `/aws-glue/jobs/${jobName}`;
    const retention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    this.errorLogs = this.logGroup('ErrorLogs', `${logGroupPrefix}/error`, retention);
    this.outputLogs = this.logGroup('OutputLogs', `${logGroupPrefix}/output`, retention);

    this.grantData(props);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secretArnForPolicies(hfTokenSecret)],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': 'Glue' } },
      }),
    );

    const pins = pythonRequirementPins(props.requirementsPath ?? path.join(GLUE_DIR, 'requirements.txt'));
    const library = new s3assets.Asset(this, 'Library', {
      path: props.libraryPath ?? path.join(GLUE_DIR, 'src'),
      exclude: ['__pycache__', '*.pyc'],
    });
    this.job = new glue.PySparkEtlJob(this, 'Job', {
      jobName,
      description: 'Tokenizes the raw corpora with the Llama 2 tokenizer into packed training rows',
      role: this.role,
      glueVersion: glue.GlueVersion.V5_0,
      script: this.codeAsset('Script', props.scriptPath ?? path.join(GLUE_DIR, 'tokenize_job.py')),
      extraPythonFiles: [glue.Code.fromBucket(library.bucket, library.s3ObjectKey)],
      workerConfiguration: { workerType: WORKER_TYPES[config.glueWorkerType], numberOfWorkers: config.glueWorkerCount },
      timeout: Duration.minutes(config.glueTimeoutMinutes),
      // A failed run is retried by starting its run name again (npm run tokenize), not by Glue.
      maxRetries: 0,
      maxConcurrentRuns: 1,
      continuousLogging: { enabled: false },
      enableMetrics: true,
      enableObservabilityMetrics: true,
      defaultArguments: {
        ...tokenizeJobArguments(config, {
          rawBucketName: rawBucket.bucketName,
          datasetsBucketName: datasetsBucket.bucketName,
          scratchBucketName: scratchBucket.bucketName,
          hfTokenSecretArn: hfTokenSecret.secretArn,
        }),
        '--additional-python-modules': pins.join(','),
        '--TempDir': scratchBucket.s3UrlForObject(GLUE_TEMP_PREFIX),
        '--custom-logGroup-prefix': logGroupPrefix,
        '--enable-job-insights': 'true',
        '--job-bookmark-option': 'job-bookmark-disable',
        // Recorded in every manifest: the app's version and the hash of the job's code.
        '--code-version': `${APP_VERSION}+${library.assetHash}`,
      },
    });
    this.job.node.addDependency(this.errorLogs, this.outputLogs);

    this.acknowledgeNagFindings();
  }

  private logGroup(id: string, logGroupName: string, retention: logs.RetentionDays): logs.LogGroup {
    const group = new logs.LogGroup(this, id, { logGroupName, retention, removalPolicy: RemovalPolicy.DESTROY });
    group.grantWrite(this.role);
    return group;
  }

  /**
   * A file or directory (zipped) of the job's code. Uploaded as an asset and referenced by its object key, so that the
   * role may read these objects only (`Code.fromAsset` grants the whole assets bucket, and takes no directory).
   */
  private codeAsset(id: string, assetPath: string): glue.Code {
    const asset = new s3assets.Asset(this, id, { path: assetPath });
    return glue.Code.fromBucket(asset.bucket, asset.s3ObjectKey);
  }

  /**
   * Reads of the corpora and writes under the job's own prefixes. The object wildcards stop at those prefixes: each
   * is acknowledged to cdk-nag with the reason the job needs it. Listing is not narrowed by prefix: Spark's S3 file
   * systems probe keys next to a prefix (the folder name without its slash, marker keys), and without s3:ListBucket
   * a missing key answers 403 instead of 404, which fails the read. Listing shows key names, never contents.
   */
  private grantData(props: TokenizeJobProps): void {
    const { config } = props;
    const corpusPrefixes = [config.domainCorpusPrefix, config.generalCorpusPrefix].filter((p) => p !== '');
    const areas: DataArea[] = [
      {
        bucket: props.rawBucket,
        prefixes: corpusPrefixes,
        actions: ['s3:GetObject'],
        reason: 'The job reads every file of a corpus, whatever its name; the wildcard stops at the corpus prefix.',
      },
      {
        bucket: props.datasetsBucket,
        prefixes: [DATASETS_PREFIX],
        actions: OBJECT_READ_WRITE,
        reason: 'Each run writes a folder of files named by Spark; the job owns this prefix of the bucket only.',
      },
      {
        bucket: props.scratchBucket,
        prefixes: [SCRATCH_PREFIX, GLUE_TEMP_PREFIX],
        actions: OBJECT_READ_WRITE,
        reason: 'Spark and Glue write temporary files of any name; the job owns these two prefixes of the bucket only.',
      },
    ];
    for (const { bucket, prefixes, actions, reason } of areas) {
      const objects = prefixes.map((p) => bucket.arnForObjects(`${p}*`));
      // The tokenizer file, when given, is one more object of the raw bucket (no listing needed).
      if (bucket === props.rawBucket && config.tokenizerS3Key) {
        objects.push(bucket.arnForObjects(config.tokenizerS3Key));
      }
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: objects }));
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
      );
      // cdk-nag names a bucket of this stack by its logical ID; an imported bucket's findings are left to its owner.
      const cfnBucket = bucket.node.defaultChild;
      if (!(cfnBucket instanceof s3.CfnBucket)) continue;
      for (const prefix of prefixes) {
        Validations.of(this.role).acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(cfnBucket)}.Arn>/${prefix}*]`,
          reason,
        });
      }
    }
  }

  private acknowledgeNagFindings(): void {
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData has no resource-level permissions; a condition limits it to the Glue namespace.',
    });
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
        reason: "Glue's Code grants read of the job's code with these action groups, limited to the two code objects.",
      });
    }
    Validations.of(this.job).acknowledge({
      id: 'AwsSolutions::AwsSolutions-GL1',
      reason:
        'CloudWatch Logs encrypts the job logs at rest with service keys, like every log group of this app; a Glue ' +
        'security configuration would add a customer KMS key and its key policy for logs of progress and errors.',
    });
    Validations.of(this.job).acknowledge({
      id: 'AwsSolutions::AwsSolutions-GL3',
      reason:
        'Job bookmarks are off (--job-bookmark-option job-bookmark-disable): there is no bookmark data to encrypt.',
    });
    // The construct flags argument names containing "token"; these hold the tokenizer's S3 URI and model ID.
    Validations.of(this.job).acknowledge({
      id: 'Annotation::@aws-cdk/aws-glue-alpha:plaintextJobArgumentSecret',
      reason:
        '--tokenizer-uri and --tokenizer-model-id name a tokenizer, not a credential; the token is in Secrets Manager.',
    });
  }
}

/** A bucket and the prefixes of it the job may use, with what it may do to their objects and why. */
interface DataArea {
  readonly bucket: s3.IBucket;
  readonly prefixes: string[];
  readonly actions: string[];
  readonly reason: string;
}

/**
 * The exact pins of a requirements file (comments and blank lines ignored), for `--additional-python-modules`,
 * which takes a comma-separated list: only `name==version` lines are accepted, so that Glue installs the versions
 * the tests ran with.
 */
export function pythonRequirementPins(file: string): string[] {
  const pins: string[] = [];
  fs.readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((line, index) => {
      const requirement = line.replace(/#.*/, '').trim();
      if (requirement === '') return;
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+$/.test(requirement)) {
        throw new Error(`${file}:${index + 1}: "${requirement}" is not an exact pin (name==version)`);
      }
      pins.push(requirement);
    });
  return pins;
}
