import { corpusTokens, readDatasetManifest } from '../run/manifest';

/**
 * What the plan knows of the training set: either a token count (one epoch; the default is the configuration's
 * plannedTrainTokens) or the counts of a tokenization run's manifest (glue/src/cpt_data/pipeline.py
 * build_manifest), from S3 (`aws s3 cp s3://<DatasetsBucketName>/datasets/<run>/manifest.json .`) or from the local
 * runner (`.local/datasets/<run>/manifest.json`).
 *
 * The manifest's schema is the training function's (lib/run/manifest.ts); its checks of the run name, the bucket and
 * the S3 paths of the run's attempt (lib/training/manifest.ts) are not made here: a local runner's manifest has none
 * of them, and the plan needs only the counts.
 */

export interface ManifestCounts {
  readonly run: string;
  readonly sequenceLength: number;
  /** sets.train.rows: the rows training reads (domain and general mixed). */
  readonly trainRows: number;
  /** Rows of the held-out sets (eval_domain and eval_general). */
  readonly evalRows: number;
  /** Tokens the job tokenized (every corpus and split), when the manifest lists them. */
  readonly corpusTokens?: number;
}

export type PlanData =
  | { readonly trainTokens: number; readonly source?: string }
  | { readonly manifest: ManifestCounts; readonly source?: string };

/** A manifest that the plan cannot read; the message is one line. */
export class ManifestInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestInputError';
  }
}

export const MANIFEST_ACCEPTED =
  'the manifest.json of a tokenization run (npm run tokenize, or glue/local_run.py): JSON with run, attempt, parameters.sequenceLength and sets (train, eval_domain: path and rows)';

/** Reads the counts of a manifest's text; `name` (the file) goes into the error. */
export function parseManifest(text: string, name: string): ManifestCounts {
  const read = readDatasetManifest(text);
  if ('notJson' in read) {
    throw new ManifestInputError(
      `--manifest ${name}: not valid JSON (${read.notJson}). Accepted: ${MANIFEST_ACCEPTED}`,
    );
  }
  if ('problems' in read) {
    throw new ManifestInputError(
      `--manifest ${name}: not a tokenization manifest (${read.problems.join('; ')}). Accepted: ${MANIFEST_ACCEPTED}`,
    );
  }
  const m = read.manifest;
  if (m.sets.train.rows === 0) {
    throw new ManifestInputError(
      `--manifest ${name}: sets.train.rows = 0, no training row to plan for. Accepted: ${MANIFEST_ACCEPTED}`,
    );
  }
  return {
    run: m.run,
    sequenceLength: m.parameters.sequenceLength,
    trainRows: m.sets.train.rows,
    evalRows: m.sets.eval_domain.rows + (m.sets.eval_general?.rows ?? 0),
    corpusTokens: corpusTokens(m),
  };
}
