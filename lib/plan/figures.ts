import { GLUE_WORKER_TYPES } from '../config/fields';
import FSX_COMPRESSION_RECORD from './fsx-compression.json';

/**
 * The figures of the run plan that are not prices: training throughput, tokenization throughput, bytes per row and
 * per checkpoint. Each carries where it comes from; the ones that are our own choice say so.
 */

/**
 * Neuron's published Llama 2 7B pre-training throughput on trn1.32xlarge/trn1n.32xlarge: 16 nodes, TP 8 (DP 64),
 * sequence length 4,096, global batch 1,024, neuronx-distributed with ZeRO-1. The low figure is from Neuron SDK 2.15
 * (MFU 30.8%), the high one from SDK 2.20; the pinned SDK (2.28) is newer than both.
 */
export const PUBLISHED_LLAMA2_7B = {
  nodes: 16,
  sequenceLength: 4096,
  tensorParallel: 8,
  globalBatch: 1024,
  low: { sequencesPerSecond: 81, sdk: '2.15' },
  high: { sequencesPerSecond: 101.3, sdk: '2.20' },
  source:
    'https://awsdocs-neuron.readthedocs-hosted.com/en/latest/general/benchmarks/trn1/trn1-training-performance.html ' +
    '(Llama 2 7B rows of the SDK 2.15 and 2.20 releases, as recorded in the project design notes)',
} as const;

/** Tokens per second per node of a published figure: sequences/s × sequence length ÷ nodes. */
export function publishedTokensPerSecondPerNode(sequencesPerSecond: number): number {
  return (sequencesPerSecond * PUBLISHED_LLAMA2_7B.sequenceLength) / PUBLISHED_LLAMA2_7B.nodes;
}

/**
 * The tokens/s per node the plan assumes: the one you measured (measuredTokensPerSecondPerNode), or the published
 * range. `low` is the slower figure: the longer run, the higher cost, the longer wait between two step lines.
 */
export function tokensPerSecondPerNode(measured: number | undefined): { readonly low: number; readonly high: number } {
  if (measured !== undefined) return { low: measured, high: measured };
  return {
    low: publishedTokensPerSecondPerNode(PUBLISHED_LLAMA2_7B.low.sequencesPerSecond),
    high: publishedTokensPerSecondPerNode(PUBLISHED_LLAMA2_7B.high.sequencesPerSecond),
  };
}

/**
 * Training rows of `tokens` tokens: floor(tokens ÷ sequenceLength). The job packs documents into rows of exactly
 * sequenceLength tokens and drops each partition's partial row (glue/src/cpt_data/packing.py).
 */
export function rowsOfTokens(tokens: number, sequenceLength: number): number {
  return Math.floor(tokens / sequenceLength);
}

/** Seconds of training of `tokens` tokens on `nodes` nodes at `tokensPerSecondPerNode`: the plan's training time. */
export function trainingSeconds(tokens: number, nodes: number, tokensPerSecondPerNode: number): number {
  return tokens / (nodes * tokensPerSecondPerNode);
}

/**
 * The tokenization job's core path on one core (glue/benchmark.py, "job core path": parse JSON Lines, hold out,
 * tokenize with the Llama 2 tokenizer, pack rows of 4,096, build the Arrow batches), best of 3 over 8 MiB of the
 * sample corpus, measured on the development machine on 2026-11-28.
 */
export const GLUE_BENCHMARK = {
  tokensPerSecondPerCore: 1_093_302,
  measuredOn: '2026-11-28',
  source:
    'glue/benchmark.py (.venv/bin/python glue/benchmark.py --tokenizer .local/tokenizer/tokenizer.json: job core path, one core)',
} as const;

/** A DPU is 4 vCPUs and 16 GB; Spark runs one task per vCPU. */
export const GLUE_VCPU_PER_DPU = 4;
/** DPUs per Glue worker type (a G.1X worker is 1 DPU). */
export const GLUE_DPU_PER_WORKER: Readonly<Record<(typeof GLUE_WORKER_TYPES)[number], number>> = {
  'G.1X': 1,
  'G.2X': 2,
  'G.4X': 4,
  'G.8X': 8,
};
export const GLUE_WORKER_SOURCE =
  'https://docs.aws.amazon.com/glue/latest/dg/worker-types.html (G.1X = 1 DPU, G.2X = 2, G.4X = 4, G.8X = 8; 1 DPU = 4 vCPUs, 16 GB)';
/**
 * Our assumption: the whole job takes this many times the benchmark's tokenizing time — reading the corpus from S3,
 * the seeded shuffle of every row, writing the datasets, and a Glue vCPU that may be slower than the benchmark's core.
 */
export const GLUE_OVERHEAD_FACTOR = 3;
/** Our assumption: one of the job's workers runs the Spark driver and tokenizes nothing. */
export const GLUE_DRIVER_WORKERS = 1;
/** Glue bills Spark jobs (Glue 2.0 and later) per second with a 1-minute minimum. */
export const GLUE_MINIMUM_HOURS = 1 / 60;

/**
 * Bytes per token of a training row: input_ids int32 (4) + attention_mask int8 (1) + labels int32 (4), as the job
 * writes them (glue/src/cpt_data/hf_dataset.py), plus one int32 list offset per column and row (Arrow list arrays).
 */
export const ROW_BYTES_PER_TOKEN = 9;
export const ROW_OFFSET_BYTES = 3 * 4;
export const ROW_BYTES_SOURCE =
  'glue/src/cpt_data/hf_dataset.py (input_ids int32, attention_mask int8, labels int32, Arrow list columns)';

/** Bytes of one stored row of `sequenceLength` tokens. */
export function rowBytes(sequenceLength: number): number {
  return sequenceLength * ROW_BYTES_PER_TOKEN + ROW_OFFSET_BYTES;
}

/**
 * Our assumption for the size of one training checkpoint (model and ZeRO-1 optimizer state): 7 billion parameters
 * × 14 bytes = BF16 weights (2) + FP32 master weights (4) + Adam's two FP32 moments (8).
 */
export const CHECKPOINT = {
  parameters: 7e9,
  bytesPerParameter: 14,
} as const;

export function checkpointBytes(): number {
  return CHECKPOINT.parameters * CHECKPOINT.bytesPerParameter;
}

export const GIB = 2 ** 30;

/**
 * What LZ4 saves on FSx for Lustre (DataCompressionType LZ4, lib/cluster/cluster-config.ts), measured by
 * scripts/measure-fsx-compression.py and recorded in lib/plan/fsx-compression.json: the datasets' smallest saving of
 * its samples (the tokenized sample corpus as the job writes it, and uniform token ids: a floor for real text).
 * Checkpoints and models are counted as incompressible (the recording's tensors save nothing either).
 */
export const FSX_COMPRESSION = {
  datasetSavedShare: FSX_COMPRESSION_RECORD.datasets.savedShare,
  datasetSamples: FSX_COMPRESSION_RECORD.datasets.samples.map((s) => ({ name: s.name, savedShare: s.savedShare })),
  tensorSamples: FSX_COMPRESSION_RECORD.tensors.samples.map((s) => ({ name: s.name, savedShare: s.savedShare })),
  blockBytes: FSX_COMPRESSION_RECORD.blockBytes,
  measuredOn: FSX_COMPRESSION_RECORD.measuredOn,
  command: FSX_COMPRESSION_RECORD.command,
  source: 'lib/plan/fsx-compression.json, written by scripts/measure-fsx-compression.py',
} as const;

/**
 * Assumption, not measured here: Neuron's compile cache on FSx (FSX/trainium-cpt/compile-cache, stage-lib.sh), shared
 * by every run of the cluster. A compiled module is a model.neff of about 10 MB and a model.hlo.pb of under 4 MB
 * (modules of aws-neuron/optimum-neuron-cache on the Hugging Face Hub); a training compile makes tens of them and each
 * new shape of run adds its own: 10 GiB is a generous bound for a few shapes.
 */
export const COMPILE_CACHE_BYTES = 10 * 2 ** 30;
/** Assumption: the evaluation's reports (a JSON per model, perplexity.json, a self-contained report.html) stay under 1 MB. */
export const REPORT_BYTES = 1e6;
/**
 * Our choice: room on FSx beyond the run's peak, for the logs and status files, a slower prune, a second run's leftovers
 * and a Lustre file system that slows as its disks fill.
 */
export const FSX_SIZE_MARGIN = 0.2;

/** The smallest PERSISTENT_2 capacity (1200 GiB, or a multiple of 2400) that holds `gib` GiB. */
export function smallestFsxSizeGiB(gib: number): number {
  return gib <= 1200 ? 1200 : Math.ceil(gib / 2400) * 2400;
}
