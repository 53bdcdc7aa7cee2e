import { CptConfig } from '../config/schema';
import { MAX_TIME_LIMIT_MINUTES, Stage, STAGES, StageTimeLimits } from '../training/contract';
import { savedStepCount } from '../training/saved-steps';
import { checkpointBytes, tokensPerSecondPerNode, trainingSeconds } from './figures';
import { fsxThroughputBytesPerSecond, LAUNCH_ALLOWANCE_SECONDS } from './stall-threshold';

/**
 * The Slurm time limit of each stage of a run (sbatch --time, whole minutes), derived from the run's settings with
 * the plan's own figures: the training time at the slower throughput (lib/plan/figures.ts), the FSx throughput and
 * the checkpoint size the stall alarm uses (lib/plan/stall-threshold.ts), the saved steps (lib/training/saved-steps.ts).
 * Each stage's estimated work is multiplied by TIME_LIMIT_MARGIN; fixed allowances (a job's start, a launch) are added
 * as they are; the sum is rounded up to whole minutes. Pure: the run's derivation (lib/run/derive.ts) calls it, for
 * `npm run plan`, the configuration summary and the training Lambda (which sends the limits in the request).
 *
 * Slurm counts a job's limit from its start: a job that waits for powered-down nodes does not count their boot
 * (slurmctld's job_config_fini "advance[s the] end time" when the nodes are ready), and a requeued train job starts
 * its count again. A limit too short kills a healthy stage (TIMEOUT); one too long only lets a hung stage run on
 * longer: the figures below lean long.
 */

/**
 * Our choice: the room each stage gets beyond its estimate. For training, beyond the published low throughput (a run
 * on fewer or more nodes, another release, a slower data path); for the other stages, beyond assumed rates.
 */
export const TIME_LIMIT_MARGIN = 1.5;
/**
 * Assumption, not measured here: from a stage job's start to its first real work (stage-lib.sh: the environment, the
 * request's checks, the run folder). Not multiplied by the margin.
 */
export const STAGE_START_MINUTES = 5;
/**
 * Llama 2 7B in Hugging Face format: model-00001-of-00002.safetensors (9.98 GB) + model-00002-of-00002.safetensors
 * (3.50 GB) of meta-llama/Llama-2-7b-hf, 16-bit weights; the sharded copies the stages write hold the same bytes.
 */
export const MODEL_BYTES = 13.5e9;
export const MODEL_BYTES_SOURCE =
  'https://huggingface.co/meta-llama/Llama-2-7b-hf/tree/main (two safetensors files, 9.98 GB + 3.50 GB)';
/** Assumption: the prepare stage downloads the base model from the Hugging Face Hub, through the NAT gateway, at 25 MB/s or faster. */
export const HUB_DOWNLOAD_BYTES_PER_SECOND = 25e6;
/**
 * A conversion reads and writes the whole model twice: prepare goes Hugging Face → full state dict → tensor-parallel
 * shards, export goes shards → full state dict → Hugging Face (cluster/training/stage-prepare.sh, stage-export.sh):
 * four passes through FSx.
 */
export const CONVERSION_PASSES = 4;
/** Assumption, not measured here: the CPU work of one conversion of 7 billion parameters (torch.load, resharding, torch.save). */
export const CONVERSION_CPU_MINUTES = 15;
/**
 * Assumption, not measured here: neuron_parallel_compile of the Llama 2 7B training graphs (forward, backward and
 * optimizer at the run's tensor-parallel degree) from an empty compiler cache; the graphs compile in parallel, each
 * in tens of minutes. A rerun finds them in the cache and takes minutes.
 */
export const COMPILE_GRAPHS_MINUTES = 120;
/** Assumption: the export stage uploads each model to S3 (aws s3 cp --recursive, one node) at 50 MB/s or faster. */
export const S3_UPLOAD_BYTES_PER_SECOND = 50e6;
/**
 * Rows of each held-out set scored per model: CPT_EVAL_MAX_ROWS on the cluster, 32 by default
 * (cluster/training/stage-evaluate.sh); the evaluate stage scores the base model and every exported checkpoint.
 */
export const EVAL_ROWS_PER_SET = 32;
/**
 * Assumption, not measured here: bfloat16 forward passes of the 7B model on the host CPUs of the node
 * (evaluate_perplexity.py runs on `cpu` unless CPT_EVAL_DEVICE says otherwise): about 14 GFLOP a token (2 per
 * parameter) at an effective 1.4 TFLOPS, 100 tokens a second.
 */
export const EVAL_CPU_TOKENS_PER_SECOND = 100;

/** What the limits depend on: the run's settings, the throughput the plan assumes, and the FSx file system. */
export interface TimeLimitInput {
  readonly nodes: number;
  readonly steps: number;
  readonly globalBatch: number;
  readonly sequenceLength: number;
  readonly checkpointEvery: number;
  readonly checkpointsKept: number;
  /** Tokens/s per node you measured; unset, the published range (its slower figure is used). */
  readonly measuredTokensPerSecondPerNode?: number;
  readonly fsxThroughputPerTiB: CptConfig['fsxThroughputPerTiB'];
  readonly fsxStorageGiB: number;
  /** Held-out sets the evaluate stage scores: 1 (domain) or 2 (domain and general). */
  readonly evalSets: number;
}

/** One part of a stage's limit, in minutes: `margin` tells whether TIME_LIMIT_MARGIN multiplies it. */
export interface TimePart {
  readonly what: string;
  readonly minutes: number;
  readonly margin: boolean;
}

export interface StageTime {
  readonly parts: readonly TimePart[];
  /** Estimated work × TIME_LIMIT_MARGIN + allowances, before rounding. */
  readonly exactMinutes: number;
  /** Rounded up, and at most MAX_TIME_LIMIT_MINUTES: what the request carries. */
  readonly minutes: number;
  /** True when the derived figure was above MAX_TIME_LIMIT_MINUTES and the limit is that maximum. */
  readonly capped: boolean;
}

export interface TimeLimits {
  /** The limits the request carries. */
  readonly limits: StageTimeLimits;
  readonly stages: Readonly<Record<Stage, StageTime>>;
  /** The figures the parts rest on. */
  readonly basis: {
    readonly tokensPerSecondPerNode: number;
    readonly trainingHours: number;
    readonly savedCheckpoints: number;
    readonly exportedCheckpoints: number;
    readonly evaluatedModels: number;
    readonly fsxBytesPerSecond: number;
    readonly checkpointSaveMinutes: number;
  };
}

const MINUTE = 60;

function stage(parts: TimePart[]): StageTime {
  const work = parts.filter((p) => p.margin).reduce((sum, p) => sum + p.minutes, 0);
  const allowances = parts.filter((p) => !p.margin).reduce((sum, p) => sum + p.minutes, 0);
  const exactMinutes = work * TIME_LIMIT_MARGIN + allowances;
  // A hair of floating point above a whole minute does not cost a minute.
  const rounded = Math.max(1, Math.ceil(exactMinutes - 1e-9));
  return {
    parts,
    exactMinutes,
    minutes: Math.min(rounded, MAX_TIME_LIMIT_MINUTES),
    capped: rounded > MAX_TIME_LIMIT_MINUTES,
  };
}

/** The time limit of every stage of a run with these settings. */
export function deriveTimeLimits(input: TimeLimitInput): TimeLimits {
  const perNode = tokensPerSecondPerNode(input.measuredTokensPerSecondPerNode).low;
  const tokens = input.steps * input.globalBatch * input.sequenceLength;
  const trainingMinutes = trainingSeconds(tokens, input.nodes, perNode) / MINUTE;
  const fsxBytesPerSecond = fsxThroughputBytesPerSecond(input);
  const checkpointMinutes = checkpointBytes() / fsxBytesPerSecond / MINUTE;
  const saved = savedStepCount(input.steps, input.checkpointEvery);
  const exported = Math.min(saved, input.checkpointsKept);
  const models = 1 + exported;
  const modelThroughFsx = MODEL_BYTES / fsxBytesPerSecond / MINUTE;
  const conversion = CONVERSION_PASSES * modelThroughFsx + CONVERSION_CPU_MINUTES;
  const start: TimePart = { what: 'job start', minutes: STAGE_START_MINUTES, margin: false };
  const launch: TimePart = {
    what: 'launch (torchrun, the Neuron runtime)',
    minutes: LAUNCH_ALLOWANCE_SECONDS / MINUTE,
    margin: false,
  };
  const evalTokens = input.evalSets * EVAL_ROWS_PER_SET * input.sequenceLength;

  const stages: Record<Stage, StageTime> = {
    prepare: stage([
      start,
      { what: 'base model download', minutes: MODEL_BYTES / HUB_DOWNLOAD_BYTES_PER_SECOND / MINUTE, margin: true },
      { what: 'conversion to shards', minutes: conversion, margin: true },
    ]),
    compile: stage([start, launch, { what: 'graph compilation', minutes: COMPILE_GRAPHS_MINUTES, margin: true }]),
    train: stage([
      start,
      launch,
      { what: 'loading a checkpoint', minutes: checkpointMinutes, margin: false },
      { what: 'training at the slower throughput', minutes: trainingMinutes, margin: true },
      { what: `${saved} checkpoint save${saved === 1 ? '' : 's'}`, minutes: saved * checkpointMinutes, margin: true },
    ]),
    export: stage([
      start,
      {
        what: `${exported} conversion${exported === 1 ? '' : 's'} to Hugging Face format`,
        minutes: exported * conversion,
        margin: true,
      },
      {
        what: `${exported} upload${exported === 1 ? '' : 's'} to S3`,
        minutes: (exported * MODEL_BYTES) / S3_UPLOAD_BYTES_PER_SECOND / MINUTE,
        margin: true,
      },
    ]),
    evaluate: stage([
      start,
      {
        what: `${models} models × ${input.evalSets} set${input.evalSets === 1 ? '' : 's'} × ${EVAL_ROWS_PER_SET} rows on the CPUs`,
        minutes: (models * (evalTokens / EVAL_CPU_TOKENS_PER_SECOND + MODEL_BYTES / fsxBytesPerSecond)) / MINUTE,
        margin: true,
      },
    ]),
  };
  const limits = Object.fromEntries(STAGES.map((s) => [s, stages[s].minutes])) as unknown as StageTimeLimits;
  return {
    limits,
    stages,
    basis: {
      tokensPerSecondPerNode: perNode,
      trainingHours: trainingMinutes / 60,
      savedCheckpoints: saved,
      exportedCheckpoints: exported,
      evaluatedModels: models,
      fsxBytesPerSecond,
      checkpointSaveMinutes: checkpointMinutes,
    },
  };
}

const COUNT = new Intl.NumberFormat('en-US');

/** 20263 → "20,263 min (14.1 days)"; 107 → "107 min (1.8 h)"; 33 → "33 min". */
export function formatLimit(minutes: number): string {
  if (minutes >= 24 * 60) return `${COUNT.format(minutes)} min (${(minutes / 1440).toFixed(1)} days)`;
  if (minutes >= 60) return `${COUNT.format(minutes)} min (${(minutes / 60).toFixed(1)} h)`;
  return `${COUNT.format(minutes)} min`;
}

/** The limits on one line: "prepare 33 min, compile 190 min (3.2 h), train 20,263 min (14.1 days), ...". */
export function describeLimits(limits: StageTimeLimits): string {
  return STAGES.map((s) => `${s} ${formatLimit(limits[s])}`).join(', ');
}

/** How a stage's limit is made: "(base model download 9.0 + conversion to shards 18.1) × 1.5 + job start 5.0 = 45.6 min, rounded up to 46". */
export function describeStageTime(time: StageTime): string {
  const min = (m: number) => m.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const work = time.parts.filter((p) => p.margin).map((p) => `${p.what} ${min(p.minutes)}`);
  const fixed = time.parts.filter((p) => !p.margin).map((p) => `${p.what} ${min(p.minutes)}`);
  const worked = work.length > 1 ? `(${work.join(' + ')})` : work[0];
  const sum = [`${worked} × ${TIME_LIMIT_MARGIN}`, ...fixed].join(' + ');
  const capped = time.capped ? `, capped at ${COUNT.format(MAX_TIME_LIMIT_MINUTES)} (30 days)` : '';
  return `${sum} = ${min(time.exactMinutes)} min, rounded up to ${COUNT.format(Math.ceil(time.exactMinutes - 1e-9))}${capped}`;
}
