import { FSX_DATASETS_PATH, FSX_MOUNT_DIR } from '../cluster/cluster-config';
import { DATASETS_PREFIX } from '../data/job-arguments';
import { readDatasetManifest, sequenceLengthMismatch } from '../run/manifest';

/**
 * The checks that make a tokenization run's manifest (lib/run/manifest.ts) trainable: of this run, in the datasets
 * bucket, of the configuration's row length, with rows to train on and to evaluate.
 */

/** A manifest that cannot be trained from; lists every problem. */
export class ManifestError extends Error {
  constructor(
    readonly uri: string,
    readonly problems: readonly string[],
  ) {
    super(`The manifest ${uri} cannot be trained from:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ManifestError';
  }
}

/** Where a run's manifest is: the key in the datasets bucket. */
export function manifestKey(run: string): string {
  return `${DATASETS_PREFIX}${run}/manifest.json`;
}

/** What training needs of a manifest, checked. */
export interface ManifestFacts {
  readonly attempt: string;
  readonly sequenceLength: number;
  readonly train: { readonly path: string; readonly rows: number };
  readonly evalDomain: { readonly path: string; readonly rows: number };
  /** Undefined when the run has no general held-out rows (no general corpus, or too small a share). */
  readonly evalGeneral?: { readonly path: string; readonly rows: number };
}

export interface ManifestExpectations {
  readonly run: string;
  readonly datasetsBucket: string;
  /** The configuration's: the model trains on rows of exactly this length. */
  readonly sequenceLength: number;
}

/** Parses the manifest's text and checks it against the run, the bucket and the configuration. */
export function checkManifest(text: string, expected: ManifestExpectations): ManifestFacts {
  const uri = `s3://${expected.datasetsBucket}/${manifestKey(expected.run)}`;
  const read = readDatasetManifest(text);
  if ('notJson' in read) throw new ManifestError(uri, [`not valid JSON (${read.notJson})`]);
  if ('problems' in read) {
    throw new ManifestError(
      uri,
      read.problems.map((p) => `${p} (not a manifest of the tokenization job?)`),
    );
  }
  const manifest = read.manifest;
  const problems: string[] = [];
  if (manifest.run !== expected.run)
    problems.push(`run = ${JSON.stringify(manifest.run)}: the manifest of another run`);
  const mismatch = sequenceLengthMismatch(manifest.parameters.sequenceLength, expected.sequenceLength);
  if (mismatch !== undefined) {
    problems.push(`${mismatch}; tokenize the run again with that length, or deploy with the same sequenceLength`);
  }
  if (manifest.sets.train.rows <= 0) problems.push('sets.train.rows = 0: no training row');
  if (manifest.sets.eval_domain.rows <= 0) {
    problems.push(
      'sets.eval_domain.rows = 0: no held-out domain row to evaluate on; tokenize with a larger heldOutShare',
    );
  }
  const runPrefix = `s3://${expected.datasetsBucket}/${DATASETS_PREFIX}${expected.run}/${manifest.attempt}/`;
  const named = {
    train: manifest.sets.train,
    eval_domain: manifest.sets.eval_domain,
    eval_general: manifest.sets.eval_general,
  };
  for (const [name, found] of Object.entries(named)) {
    if (found && found.path !== `${runPrefix}${name}`) {
      problems.push(
        `sets.${name}.path = ${JSON.stringify(found.path)}: not ${runPrefix}${name}, the set of this run's attempt`,
      );
    }
  }
  if (problems.length > 0) throw new ManifestError(uri, problems);

  const general = manifest.sets.eval_general;
  return {
    attempt: manifest.attempt,
    sequenceLength: manifest.parameters.sequenceLength,
    train: { path: manifest.sets.train.path, rows: manifest.sets.train.rows },
    evalDomain: { path: manifest.sets.eval_domain.path, rows: manifest.sets.eval_domain.rows },
    evalGeneral: general && general.rows > 0 ? { path: general.path, rows: general.rows } : undefined,
  };
}

/**
 * The path on the cluster of an object of the datasets bucket: FSx links `s3://<bucket>/datasets/` to
 * `/fsx/datasets/` (lib/cluster/cluster-config.ts).
 */
export function datasetPathOnCluster(s3Uri: string, datasetsBucket: string): string {
  const prefix = `s3://${datasetsBucket}/${DATASETS_PREFIX}`;
  if (!s3Uri.startsWith(prefix)) throw new Error(`${s3Uri} is not under ${prefix}`);
  return `${FSX_MOUNT_DIR}${FSX_DATASETS_PATH}/${s3Uri.slice(prefix.length)}`;
}
