import { z } from 'zod';

/**
 * What the plan knows of the training set: either a token count (one epoch; the default is the configuration's
 * plannedTrainTokens) or the counts of a tokenization run's manifest (glue/src/cpt_data/pipeline.py
 * build_manifest), from S3 (`aws s3 cp s3://<DatasetsBucketName>/datasets/<run>/manifest.json .`) or from the local
 * runner (`.local/datasets/<run>/manifest.json`).
 *
 * lib/training/manifest.ts checkManifest is not reused here: it ties a manifest to a run name, a bucket and the
 * S3 paths of that run's attempt, which a local runner's manifest does not have. The plan needs only the counts.
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

const count = z.number().int().nonnegative();
const set = z.looseObject({ rows: count });
const split = z.looseObject({ tokens: count });

const MANIFEST = z.looseObject({
  run: z.string(),
  parameters: z.looseObject({ sequenceLength: z.number().int().positive() }),
  sets: z.looseObject({ train: set, eval_domain: set.optional(), eval_general: set.optional() }),
  corpora: z.record(z.string(), z.looseObject({ splits: z.record(z.string(), split) })).optional(),
});

export const MANIFEST_ACCEPTED =
  'the manifest.json of a tokenization run (npm run tokenize, or glue/local_run.py): JSON with run, parameters.sequenceLength and sets.train.rows';

/** Reads the counts of a manifest's text; `name` (the file) goes into the error. */
export function parseManifest(text: string, name: string): ManifestCounts {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestInputError(
      `--manifest ${name}: not valid JSON (${(error as Error).message}). Accepted: ${MANIFEST_ACCEPTED}`,
    );
  }
  const parsed = MANIFEST.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.map(String).join('.') || '(top level)'}: ${i.message}`)
      .join('; ');
    throw new ManifestInputError(
      `--manifest ${name}: not a tokenization manifest (${problems}). Accepted: ${MANIFEST_ACCEPTED}`,
    );
  }
  const m = parsed.data;
  if (m.sets.train.rows === 0) {
    throw new ManifestInputError(
      `--manifest ${name}: sets.train.rows = 0, no training row to plan for. Accepted: ${MANIFEST_ACCEPTED}`,
    );
  }
  const corpusTokens = m.corpora
    ? Object.values(m.corpora).reduce((sum, c) => sum + Object.values(c.splits).reduce((s, sp) => s + sp.tokens, 0), 0)
    : undefined;
  return {
    run: m.run,
    sequenceLength: m.parameters.sequenceLength,
    trainRows: m.sets.train.rows,
    evalRows: (m.sets.eval_domain?.rows ?? 0) + (m.sets.eval_general?.rows ?? 0),
    corpusTokens,
  };
}
