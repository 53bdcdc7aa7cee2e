import { z } from 'zod';

/**
 * The dataset manifest, as the tokenization job writes it last (glue/src/cpt_data/pipeline.py build_manifest; its
 * presence means the run's datasets are complete): one schema of the fields the plan and training read, and one check
 * that it fits the run's settings. `npm run plan -- --manifest` (lib/plan/dataset.ts) and the training function
 * (lib/training/manifest.ts) both read it here. Extra fields are allowed: the job records more than they read.
 */

const count = z.number().int().nonnegative();
/** A dataset of the run: its folder (S3, or .local/datasets/... for the local runner) and its rows. */
const set = z.looseObject({ path: z.string(), rows: count });

export const DATASET_MANIFEST = z.looseObject({
  run: z.string(),
  attempt: z.string().regex(/^attempt-[A-Za-z0-9-]{1,100}$/),
  parameters: z.looseObject({ sequenceLength: z.number().int().positive() }),
  /** eval_general is absent from manifests written before the job wrote it always (with 0 rows without a general corpus). */
  sets: z.looseObject({ train: set, eval_domain: set, eval_general: set.optional() }),
  /** Per corpus and split, the tokens the job tokenized (every corpus and split). */
  corpora: z
    .record(z.string(), z.looseObject({ splits: z.record(z.string(), z.looseObject({ tokens: count })) }))
    .optional(),
});
export type DatasetManifest = z.infer<typeof DATASET_MANIFEST>;

/** The manifest in a text, or each problem: "path: why". */
export function readDatasetManifest(
  text: string,
): { readonly manifest: DatasetManifest } | { readonly notJson: string } | { readonly problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { notJson: (error as Error).message };
  }
  const parsed = DATASET_MANIFEST.safeParse(json);
  if (parsed.success) return { manifest: parsed.data };
  return { problems: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(top level)'}: ${i.message}`) };
}

/** Tokens the job tokenized, over every corpus and split, when the manifest lists them. */
export function corpusTokens(manifest: DatasetManifest): number | undefined {
  return manifest.corpora
    ? Object.values(manifest.corpora).reduce(
        (sum, c) => sum + Object.values(c.splits).reduce((s, split) => s + split.tokens, 0),
        0,
      )
    : undefined;
}

/**
 * The manifest fits the configuration: training reads rows of exactly sequenceLength tokens. Undefined when it
 * does; otherwise "parameters.sequenceLength = 2048: the configuration's sequenceLength is 4096".
 */
export function sequenceLengthMismatch(manifestLength: number, sequenceLength: number): string | undefined {
  return manifestLength === sequenceLength
    ? undefined
    : `parameters.sequenceLength = ${manifestLength}: the configuration's sequenceLength is ${sequenceLength}`;
}
