import { CptConfig } from '../config/schema';
import {
  GLUE_BENCHMARK,
  GLUE_DPU_PER_WORKER,
  GLUE_DRIVER_WORKERS,
  GLUE_MINIMUM_HOURS,
  GLUE_OVERHEAD_FACTOR,
  GLUE_VCPU_PER_DPU,
  GLUE_WORKER_SOURCE,
} from './figures';
import { TrainingSetFigures } from './estimate-data';
import { formatCount, formatNumber } from './numbers';
import { Part } from './part';

/** The tokenization job: its hours on the configured workers, what it bills, and whether it ends before its timeout. */
export interface GlueFigures {
  readonly tokens: number;
  readonly workers: number;
  readonly workerType: string;
  readonly wallHours: number;
  readonly dpuHours: number;
  readonly usd: number;
}

export function gluePart(config: CptConfig, set: TrainingSetFigures, usdPerDpuHour: number): Part<GlueFigures> {
  const tokens = set.tokenizedTokens;
  const workers = config.glueWorkerCount;
  const dpuPerWorker = GLUE_DPU_PER_WORKER[config.glueWorkerType];
  const workDpuHours =
    (tokens * GLUE_OVERHEAD_FACTOR) / (GLUE_BENCHMARK.tokensPerSecondPerCore * GLUE_VCPU_PER_DPU) / 3600;
  const executorDpus = Math.max(1, workers - GLUE_DRIVER_WORKERS) * dpuPerWorker;
  const wallHours = Math.max(workDpuHours / executorDpus, GLUE_MINIMUM_HOURS);
  const dpuHours = wallHours * workers * dpuPerWorker;
  const warnings =
    wallHours * 60 > config.glueTimeoutMinutes
      ? [
          `Glue: the job would run about ${formatNumber(wallHours, 1)} h, longer than glueTimeoutMinutes ${config.glueTimeoutMinutes}: raise glueWorkerCount or glueTimeoutMinutes`,
        ]
      : [];
  return {
    figures: {
      tokens,
      workers,
      workerType: config.glueWorkerType,
      wallHours,
      dpuHours,
      usd: dpuHours * usdPerDpuHour,
    },
    assumptions: [
      {
        id: 'glue.tokens',
        text: set.tokenizedFromManifest
          ? `${formatCount(tokens)} tokens tokenized: the manifest's corpora, every split`
          : `${formatCount(tokens)} tokens tokenized = training tokens ÷ (1 − heldOutShare ${config.heldOutShare}); assumption: the general corpus is no larger than the share mixed in`,
        source: set.tokenizedFromManifest ? set.source : 'assumption',
      },
      {
        id: 'glue.rate',
        text:
          `tokenizing runs at ${formatCount(GLUE_BENCHMARK.tokensPerSecondPerCore)} tokens/s per vCPU, ${GLUE_VCPU_PER_DPU} vCPUs a DPU ` +
          `(measured ${GLUE_BENCHMARK.measuredOn} on one core with the sample corpus; real text may tokenize at another rate)`,
        source: `${GLUE_BENCHMARK.source}; ${GLUE_WORKER_SOURCE}`,
      },
      {
        id: 'glue.overhead',
        text: `assumption: the whole job takes ${GLUE_OVERHEAD_FACTOR} × the tokenizing time (reading from S3, the seeded shuffle of every row, writing the datasets, a Glue vCPU slower than the benchmark's core)`,
        source: 'assumption',
      },
      {
        id: 'glue.workers',
        text:
          `${workers} ${config.glueWorkerType} workers (${dpuPerWorker} DPU each; glueWorkerCount, glueWorkerType) are billed for the whole run, ` +
          `${GLUE_DRIVER_WORKERS} of them running the Spark driver (assumption): about ${formatNumber(wallHours, 2)} h, billed per second with a 1-minute minimum`,
        source: GLUE_WORKER_SOURCE,
      },
    ],
    warnings,
  };
}
