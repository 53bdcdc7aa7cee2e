import { z } from 'zod';
import { FSX_DATASETS_PATH, FSX_MOUNT_DIR } from '../cluster/cluster-config';
import { DATASETS_PREFIX } from '../data/job-arguments';

/**
 * The parts of a tokenization run's manifest (glue/src/cpt_data/pipeline.py build_manifest) that training uses, and
 * the checks that make a run trainable. The manifest is written last by the job, so its presence means the run's
 * datasets are complete.
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

const set = z.looseObject({ path: z.string(), rows: z.number().int().nonnegative() });

const MANIFEST_SCHEMA = z.looseObject({
  run: z.string(),
  attempt: z.string().regex(/^attempt-[A-Za-z0-9-]{1,100}$/),
  parameters: z.looseObject({ sequenceLength: z.number().int().positive() }),
  sets: z.looseObject({ train: set, eval_domain: set, eval_general: set.optional() }),
});

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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(uri, [`not valid JSON (${(error as Error).message})`]);
  }
  const parsed = MANIFEST_SCHEMA.safeParse(json);
  if (!parsed.success) {
    throw new ManifestError(
      uri,
      parsed.error.issues.map(
        (i) =>
          `${i.path.map(String).join('.') || '(top level)'}: ${i.message} (not a manifest of the tokenization job?)`,
      ),
    );
  }
  const manifest = parsed.data;
  const problems: string[] = [];
  if (manifest.run !== expected.run)
    problems.push(`run = ${JSON.stringify(manifest.run)}: the manifest of another run`);
  if (manifest.parameters.sequenceLength !== expected.sequenceLength) {
    problems.push(
      `parameters.sequenceLength = ${manifest.parameters.sequenceLength}: the configuration's sequenceLength is ${expected.sequenceLength}; ` +
        'tokenize the run again with that length, or deploy with the same sequenceLength',
    );
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
