import { CptConfig } from '../config/schema';

/**
 * The contract between the app and the tokenization job (glue/tokenize_job.py): the job's arguments. The stack sets
 * the defaults from the configuration; `npm run tokenize` adds `--run` and any per-run override.
 */

/** A run name names a folder of the datasets bucket and a Glue run: lowercase, digits and hyphens. */
export const RUN_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function validateRunName(run: string): string {
  if (!RUN_NAME_PATTERN.test(run)) {
    throw new Error(
      `run = ${JSON.stringify(run)}: not a valid run name. Accepted: 1 to 63 lowercase letters, digits and hyphens, starting with a letter or digit.`,
    );
  }
  return run;
}

/** Where the job reads and writes, resolved at deploy time (bucket names are tokens in the stack). */
export interface JobLocations {
  readonly rawBucketName: string;
  readonly datasetsBucketName: string;
  readonly scratchBucketName: string;
  /** ARN of the secret that holds the Hugging Face token. */
  readonly hfTokenSecretArn: string;
}

/** Key prefixes the job owns in the datasets and scratch buckets (IAM grants are scoped to them). */
export const DATASETS_PREFIX = 'datasets/';
export const SCRATCH_PREFIX = 'tokenize/';

const s3 = (bucket: string, key: string) => `s3://${bucket}/${key}`;

/** The job's default arguments (without `--run`, which each run gives). */
export function tokenizeJobArguments(config: CptConfig, where: JobLocations): Record<string, string> {
  return {
    '--domain-uri': s3(where.rawBucketName, config.domainCorpusPrefix),
    '--general-uri': config.generalCorpusPrefix === '' ? '' : s3(where.rawBucketName, config.generalCorpusPrefix),
    '--format': config.corpusFormat,
    '--text-field': config.textField,
    '--tokenizer-uri': config.tokenizerS3Key ? s3(where.rawBucketName, config.tokenizerS3Key) : '',
    '--tokenizer-model-id': config.baseModelId,
    '--hf-token-secret-arn': where.hfTokenSecretArn,
    '--output-uri': s3(where.datasetsBucketName, DATASETS_PREFIX),
    '--scratch-uri': s3(where.scratchBucketName, SCRATCH_PREFIX),
    '--sequence-length': String(config.sequenceLength),
    '--general-share': String(config.generalDataShare),
    '--held-out-share': String(config.heldOutShare),
    '--seed': String(config.shuffleSeed),
    '--add-eos': String(config.addEos),
  };
}

/** Where a run's manifest lands: the commit point of the run (written last). */
export function manifestUri(datasetsBucketName: string, run: string): string {
  return s3(datasetsBucketName, `${DATASETS_PREFIX}${run}/manifest.json`);
}
