import { CptConfig } from '../config/schema';
import { deriveConfigRun } from '../run/derive';
import { Range } from '../run/range';
import { StorageFigures } from '../run/storage';
import { PlanData } from './dataset';
import { BudgetLimits, CostLine, costsPart } from './estimate-costs';
import { TrainingSetFigures, trainingSetPart } from './estimate-data';
import { GlueFigures, gluePart } from './estimate-glue';
import { limitsPart } from './estimate-limits';
import { CapacityFigures, capacityPart } from './estimate-capacity';
import { FsxThroughputFigures, fsxThroughputPart } from './estimate-fsx-throughput';
import { priceIn, pricesPart } from './estimate-prices';
import { storagePart } from './estimate-storage';
import { trainingPart } from './estimate-training';
import { Assumption, Part } from './part';
import { StallThreshold } from './stall-threshold';
import { TimeLimits } from './time-limits';

export type { BudgetLimits, CostLine } from './estimate-costs';
export { dailyWhileTraining, HOURS_PER_DAY } from './estimate-costs';
export type { Assumption } from './part';
export { PlanError } from './part';
export type { Range } from '../run/range';

/**
 * The cost and time of a CPT run before anything is deployed: the training set's rows, the run derived from the
 * configuration (lib/run/derive.ts: the parallelism, the steps, the time limits, as the submit function derives
 * them), the training time from a throughput per node, and what it costs at on-demand prices. Pure: no clock, no
 * file, no AWS call. Each part (lib/plan/estimate-*.ts) returns its figures with the assumptions they rest on and
 * the warnings they raise.
 */

/** What the plan prices, by unit. */
type PricedUnit =
  'trainiumPerHour' | 'headNodePerHour' | 'fsxPerGbMonth' | 's3PerGbMonth' | 'natPerHour' | 'gluePerDpuHour';

export interface RunEstimate {
  readonly region: string;
  /** False when the configuration sets no Region and us-east-1 was priced. */
  readonly regionFromConfig: boolean;
  readonly instanceType: string;
  readonly nodes: number;
  readonly data: Omit<TrainingSetFigures, 'tokenizedTokens' | 'tokenizedFromManifest'>;
  readonly parallel: {
    readonly dataParallel: number;
    readonly tensorParallel: number;
    readonly globalBatch: number;
    readonly microBatch: number;
    readonly gradientAccumulation: number;
  };
  readonly steps: { readonly perEpoch: number; readonly total: number; readonly epochs: number };
  /** The steps the run saves a checkpoint at (lib/training/saved-steps.ts), and how many stay on FSx. */
  readonly checkpoints: { readonly savedSteps: readonly number[]; readonly kept: number };
  /** The Slurm time limit of each stage, as the training function derives it for this run. */
  readonly timeLimits: TimeLimits;
  /** Tokens the run trains on: total steps × global batch × sequence length. */
  readonly tokensTrained: number;
  readonly throughput: { readonly tokensPerSecondPerNode: Range; readonly measured: boolean };
  readonly trainingHours: Range;
  readonly nodeHours: Range;
  readonly glue: GlueFigures;
  /** What S3 holds after the run (datasets, every checkpoint), what FSx needs during it and has. */
  readonly storage: Omit<StorageFigures, 'bytesPerRow' | 'keptOnFsx'>;
  /** How the Trainium nodes are bought and what a node-hour costs that way. */
  readonly capacity: CapacityFigures;
  /** The FSx throughput a checkpoint save needs, and the stall of the run's saves. */
  readonly fsxThroughput: FsxThroughputFigures;
  /** USD per unit of what the plan prices. */
  readonly prices: Readonly<Record<PricedUnit, number>>;
  /** What the run costs while it trains, and once (tokenization). */
  readonly runCosts: readonly CostLine[];
  readonly runTotal: Range;
  /** What a day of training costs: every Trainium node for 24 hours, and a day of what stays deployed. */
  readonly daily: readonly CostLine[];
  readonly dailyTotal: number;
  /** The limits of the daily and the run budget. */
  readonly budgets: BudgetLimits;
  /** The threshold of the stalled-training alarm, and how the plan derives it. */
  readonly stall: StallThreshold;
  /** What stays deployed costs per month, trained or not. */
  readonly monthly: readonly CostLine[];
  readonly monthlyTotal: number;
  readonly assumptions: readonly Assumption[];
  readonly warnings: readonly string[];
}

/** The plan of a run of this configuration on a training set (default: the configuration's plannedTrainTokens). */
export function estimateRun(
  config: CptConfig,
  data: PlanData = { trainTokens: config.plannedTrainTokens, source: 'plannedTrainTokens' },
): RunEstimate {
  const prices = pricesPart(config);
  const set = trainingSetPart(config, data);
  const run = deriveConfigRun(config, set.figures.rows);
  const training = trainingPart(config, run);
  const storage = storagePart(config, set.figures, run);
  const glue = gluePart(config, set.figures, prices.figures.glueDpu.usd);
  const capacity = capacityPart(config, run, prices.figures.trainiumUsd, training.figures.nodeHours);
  const fsxThroughput = fsxThroughputPart(config, run, {
    neededSizeGiB: storage.figures.fsxSmallestGiB,
    nodeHourUsd: capacity.figures.nodeHourUsd,
    fsxUsd: (table) => priceIn(table, prices.figures.region).usd,
  });
  const c = capacity.figures;
  const costs = costsPart(config, {
    prices: prices.figures,
    trainium: {
      label: c.label,
      runUsd: c.runUsd,
      nodeHourUsd: c.nodeHourUsd,
      basis: c.basis,
    },
    trainingHours: run.trainingHours,
    nodeHours: training.figures.nodeHours,
    measured: training.figures.measured,
    storage: storage.figures,
    glueUsd: glue.figures.usd,
  });
  const limits = limitsPart(config, run);
  // In this order the plan numbers its assumptions and lists its warnings.
  const parts: readonly Part<unknown>[] = [
    prices,
    set,
    training,
    storage,
    capacity,
    fsxThroughput,
    glue,
    costs,
    limits,
  ];
  const p = prices.figures;
  const s = storage.figures;
  return {
    region: p.region,
    regionFromConfig: p.regionFromConfig,
    instanceType: config.instanceType,
    nodes: config.nodeCount,
    data: {
      from: set.figures.from,
      source: set.figures.source,
      trainTokens: set.figures.trainTokens,
      sequenceLength: set.figures.sequenceLength,
      rows: set.figures.rows,
      evalRows: set.figures.evalRows,
    },
    parallel: {
      dataParallel: run.dataParallel,
      tensorParallel: config.tensorParallelDegree,
      globalBatch: config.globalBatchSize,
      microBatch: config.microBatchSize,
      gradientAccumulation: run.gradientAccumulation,
    },
    steps: { perEpoch: run.stepsPerEpoch, total: run.steps, epochs: config.epochs },
    checkpoints: { savedSteps: run.savedSteps, kept: config.checkpointsKept },
    timeLimits: run.timeLimits,
    tokensTrained: run.tokensTrained,
    throughput: { tokensPerSecondPerNode: run.tokensPerSecondPerNode, measured: training.figures.measured },
    trainingHours: run.trainingHours,
    nodeHours: training.figures.nodeHours,
    glue: glue.figures,
    storage: {
      datasetBytes: s.datasetBytes,
      checkpoints: s.checkpoints,
      checkpointBytes: s.checkpointBytes,
      s3Bytes: s.s3Bytes,
      fsxItems: s.fsxItems,
      fsxPeakPhase: s.fsxPeakPhase,
      fsxPeakBytes: s.fsxPeakBytes,
      fsxNeededBytes: s.fsxNeededBytes,
      fsxSmallestGiB: s.fsxSmallestGiB,
      fsxCapacityBytes: s.fsxCapacityBytes,
    },
    capacity: c,
    fsxThroughput: fsxThroughput.figures,
    prices: {
      trainiumPerHour: p.trainiumUsd,
      headNodePerHour: p.head.usd,
      fsxPerGbMonth: p.fsx.usd,
      s3PerGbMonth: p.s3.usd,
      natPerHour: p.nat.usd,
      gluePerDpuHour: p.glueDpu.usd,
    },
    ...costs.figures,
    stall: limits.figures.stall,
    assumptions: parts.flatMap((part) => part.assumptions),
    warnings: parts.flatMap((part) => part.warnings),
  };
}

/**
 * The limits of the project's two AWS Budgets cost budgets, on the configuration's plannedTrainTokens: the daily one, a
 * day of training at the plan's prices (every Trainium node for 24 hours, and a day of the head node, FSx, the NAT
 * gateway and S3), and the run one, the run's conservative (high) total; each plus budgetMarginPercent, rounded up to
 * whole dollars. Throws a PlanError when the configuration's Region (or head-node type) has no price on record.
 */
export function budgetLimits(config: CptConfig): BudgetLimits {
  return estimateRun(config).budgets;
}
