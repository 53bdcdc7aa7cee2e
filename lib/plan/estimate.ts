import { CptConfig } from '../config/schema';
import { dataParallelDegree, stepsFor } from '../training/plan';
import { PlanData } from './dataset';
import {
  CHECKPOINT,
  checkpointBytes,
  GIB,
  GLUE_BENCHMARK,
  GLUE_DPU_PER_WORKER,
  GLUE_DRIVER_WORKERS,
  GLUE_MINIMUM_HOURS,
  GLUE_OVERHEAD_FACTOR,
  GLUE_VCPU_PER_DPU,
  GLUE_WORKER_SOURCE,
  PUBLISHED_LLAMA2_7B,
  ROW_BYTES_PER_TOKEN,
  ROW_BYTES_SOURCE,
  ROW_OFFSET_BYTES,
  rowBytes,
  rowsOfTokens,
  tokensPerSecondPerNode,
  trainingSeconds,
} from './figures';
import {
  DEFAULT_PRICING_REGION,
  EC2_ON_DEMAND,
  FSX_PERSISTENT_2,
  GLUE_DPU_HOUR,
  HOURS_PER_MONTH,
  NAT_GATEWAY,
  PriceTable,
  S3_STANDARD,
} from './prices';
import { formatCount, formatNumber, formatPrice } from './numbers';
import { LAUNCH_ALLOWANCE_SECONDS, LOGGING_INTERVAL_STEPS, stallThreshold, StallThreshold } from './stall-threshold';
import { configTimeLimits, formatLimit, TimeLimits } from './time-limits';
import { MAX_TIME_LIMIT_MINUTES, STAGES } from '../training/contract';
import { memoryWarnings } from '../training/memory-fit';
import { savedSteps } from '../training/saved-steps';

/** Hours in a day of the DAILY budget (AWS Budgets resets it every day, UTC). */
export const HOURS_PER_DAY = 24;

/**
 * The cost and time of a CPT run before anything is deployed: the training set's rows, the parallelism and steps
 * (the same functions the submit Lambda uses), the training time from a throughput per node, and what it costs at
 * on-demand prices. Pure: no clock, no file, no AWS call. Every figure lists the assumptions it rests on.
 */

/** A configuration value the plan cannot price; names the key, the value and what is accepted. */
export class PlanError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    why: string,
    accepted: string,
  ) {
    super(`${field} = ${JSON.stringify(value)}: ${why}. Accepted: ${accepted}`);
    this.name = 'PlanError';
  }
}

/** Something a figure rests on, with where it comes from: a URL, a file of this repository, or "assumption". */
export interface Assumption {
  readonly id: string;
  readonly text: string;
  readonly source: string;
}

/**
 * The limits of the project's two AWS Budgets cost budgets (lib/monitoring/budget-kinds.ts), in whole US dollars, each
 * its plan figure plus budgetMarginPercent, rounded up.
 */
export interface BudgetLimits {
  /** budgetMarginPercent: the share added to each plan figure. */
  readonly marginPercent: number;
  /** The DAILY budget `<projectName>-daily-cost`: a day of training (dailyTotal) plus the margin. */
  readonly dailyUsd: number;
  /** The ANNUALLY budget of the whole run, `<projectName>-run-cost`: the run's conservative cost (runTotal.high) plus the margin. */
  readonly runUsd: number;
}

/** Two bounds, low ≤ high. A cost's high bound comes from the low throughput: it is the conservative figure. */
export interface Range {
  readonly low: number;
  readonly high: number;
}

export interface CostLine {
  readonly label: string;
  readonly usd: Range;
  /** Ids of the assumptions the figure rests on. */
  readonly basis: readonly string[];
}

export interface RunEstimate {
  readonly region: string;
  /** False when the configuration sets no Region and us-east-1 was priced. */
  readonly regionFromConfig: boolean;
  readonly instanceType: string;
  readonly nodes: number;
  readonly data: {
    readonly from: 'tokens' | 'manifest';
    /** Where the count comes from: a configuration key, a flag or a file. */
    readonly source: string;
    /** Tokens of one epoch (as given, or the manifest's rows × sequence length). */
    readonly trainTokens: number;
    readonly sequenceLength: number;
    readonly rows: number;
    readonly evalRows: number;
  };
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
  readonly glue: {
    readonly tokens: number;
    readonly workers: number;
    readonly workerType: string;
    readonly wallHours: number;
    readonly dpuHours: number;
    readonly usd: number;
  };
  readonly storage: {
    readonly datasetBytes: number;
    readonly checkpoints: number;
    readonly checkpointBytes: number;
    /** Everything in S3 after the run: the datasets and every checkpoint. */
    readonly s3Bytes: number;
    /** On FSx during the run: the datasets and the kept checkpoints. */
    readonly fsxNeededBytes: number;
    readonly fsxCapacityBytes: number;
  };
  readonly prices: {
    readonly trainiumPerHour: number;
    readonly headNodePerHour: number;
    readonly fsxPerGbMonth: number;
    readonly s3PerGbMonth: number;
    readonly natPerHour: number;
    readonly gluePerDpuHour: number;
  };
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

interface Priced {
  readonly usd: number;
  /** The Region whose figure is used: the run's, or us-east-1's when the run's has none. */
  readonly from: string;
}

function regionsOf(table: PriceTable): string {
  return Object.keys(table.byRegion).sort().join(', ');
}

/** The price of a table in a Region, or us-east-1's when the Region has none (printed as an assumption). */
function priceIn(table: PriceTable, region: string): Priced {
  const own = table.byRegion[region];
  if (own !== undefined) return { usd: own, from: region };
  const fallback = table.byRegion[DEFAULT_PRICING_REGION];
  if (fallback === undefined)
    throw new Error(`${table.what}: no price on record for ${region} nor ${DEFAULT_PRICING_REGION}`);
  return { usd: fallback, from: DEFAULT_PRICING_REGION };
}

function priceAssumption(id: string, table: PriceTable, priced: Priced, region: string): Assumption {
  const where =
    priced.from === region
      ? `in ${region}`
      : `in ${priced.from}: no figure on record for ${region} (figures for ${regionsOf(table)}), so ${priced.from}'s is used`;
  return {
    id,
    text: `${table.what}: ${formatPrice(priced.usd)} ${table.unit.replace(/^USD /, '')} ${where}`,
    source: `${table.source} (read ${table.readOn} via ${table.readVia})`,
  };
}

function range(low: number, high: number): Range {
  return { low: Math.min(low, high), high: Math.max(low, high) };
}

function scale(r: Range, factor: number): Range {
  return range(r.low * factor, r.high * factor);
}

function sum(ranges: readonly Range[]): Range {
  return ranges.reduce((acc, r) => ({ low: acc.low + r.low, high: acc.high + r.high }), { low: 0, high: 0 });
}

function fixed(value: number): Range {
  return { low: value, high: value };
}

/** The plan of a run of this configuration on a training set (default: the configuration's plannedTrainTokens). */
export function estimateRun(
  config: CptConfig,
  data: PlanData = { trainTokens: config.plannedTrainTokens, source: 'plannedTrainTokens' },
): RunEstimate {
  const assumptions: Assumption[] = [];
  const warnings: string[] = [];
  const note = (a: Assumption) => assumptions.push(a);

  // Region and prices.
  const region = config.region ?? DEFAULT_PRICING_REGION;
  note({
    id: 'region',
    text: config.region
      ? `Priced in ${region}, the configuration's region`
      : `region is unset: priced in ${region}; cdk deploy will use the Region of your AWS profile (price another with -c region=...)`,
    source: config.region ? 'configuration key region' : 'assumption',
  });
  const trainiumTable = EC2_ON_DEMAND[config.instanceType];
  const trainiumUsd = trainiumTable.byRegion[region];
  if (trainiumUsd === undefined) {
    throw new PlanError(
      'region',
      region,
      `no ${config.instanceType} On-Demand price on record for this Region, and another Region's would be a guess`,
      `a Region with a sourced ${config.instanceType} price: ${regionsOf(trainiumTable)} (or add a sourced figure to lib/plan/prices.ts)`,
    );
  }
  note(priceAssumption('price.trainium', trainiumTable, { usd: trainiumUsd, from: region }, region));
  const headTable = EC2_ON_DEMAND[config.headNodeInstanceType];
  if (!headTable) {
    const known = Object.keys(EC2_ON_DEMAND)
      .filter((t) => !t.startsWith('trn'))
      .join(', ');
    throw new PlanError(
      'headNodeInstanceType',
      config.headNodeInstanceType,
      'no On-Demand price on record for this instance type',
      `an instance type with a sourced price: ${known} (or add a sourced figure to lib/plan/prices.ts)`,
    );
  }
  const head = priceIn(headTable, region);
  note(priceAssumption('price.head', headTable, head, region));
  const fsxTable = FSX_PERSISTENT_2[config.fsxThroughputPerTiB];
  const fsx = priceIn(fsxTable, region);
  note(priceAssumption('price.fsx', fsxTable, fsx, region));
  const nat = priceIn(NAT_GATEWAY, region);
  note(priceAssumption('price.nat', NAT_GATEWAY, nat, region));
  const s3 = priceIn(S3_STANDARD, region);
  note(priceAssumption('price.s3', S3_STANDARD, s3, region));
  const glueDpu = priceIn(GLUE_DPU_HOUR, region);
  note(priceAssumption('price.glue', GLUE_DPU_HOUR, glueDpu, region));
  const others: readonly (readonly [string, Priced])[] = [
    ['head node', head],
    ['FSx', fsx],
    ['NAT gateway', nat],
    ['S3', s3],
    ['Glue', glueDpu],
  ];
  const borrowed = others.filter(([, priced]) => priced.from !== region).map(([what]) => what);
  if (borrowed.length > 0) {
    warnings.push(
      `no ${region} figure on record for ${borrowed.join(', ')}: priced with ${DEFAULT_PRICING_REGION}'s (see the assumptions)`,
    );
  }

  // The training set.
  const seq = config.sequenceLength;
  let rows: number;
  let evalRows: number;
  let trainTokens: number;
  let tokenizedTokens: number;
  let tokenizedFromManifest = false;
  let source: string;
  let from: 'tokens' | 'manifest';
  if ('manifest' in data) {
    const m = data.manifest;
    if (m.sequenceLength !== seq) {
      throw new PlanError(
        'sequenceLength',
        seq,
        `the manifest's rows have ${m.sequenceLength} tokens (parameters.sequenceLength) and training reads rows of exactly sequenceLength`,
        `${m.sequenceLength} for this manifest (-c sequenceLength=${m.sequenceLength}), or tokenize again with --sequence-length ${seq}`,
      );
    }
    from = 'manifest';
    source = data.source ?? `manifest of run ${m.run}`;
    rows = m.trainRows;
    evalRows = m.evalRows;
    trainTokens = rows * seq;
    tokenizedFromManifest = m.corpusTokens !== undefined;
    tokenizedTokens = m.corpusTokens ?? Math.round(trainTokens / (1 - config.heldOutShare));
    note({
      id: 'rows',
      text: `${formatCount(rows)} training rows and ${formatCount(evalRows)} held-out rows of ${formatCount(seq)} tokens, from the manifest of run ${m.run}`,
      source: source,
    });
  } else {
    from = 'tokens';
    source = data.source ?? 'plannedTrainTokens';
    trainTokens = data.trainTokens;
    rows = rowsOfTokens(trainTokens, seq);
    if (rows < 1) {
      throw new PlanError(
        source,
        trainTokens,
        `fewer tokens than one row of sequenceLength ${seq}`,
        `at least ${seq} tokens`,
      );
    }
    evalRows = Math.round((rows * config.heldOutShare) / (1 - config.heldOutShare));
    tokenizedTokens = Math.round(trainTokens / (1 - config.heldOutShare));
    note({
      id: 'rows',
      text:
        `${formatCount(trainTokens)} training tokens (one epoch; ${source}) make floor(tokens ÷ ${formatCount(seq)}) = ${formatCount(rows)} rows: ` +
        `the job packs documents into rows of exactly sequenceLength tokens and drops each partition's partial row; ` +
        `held-out rows ≈ rows × heldOutShare ÷ (1 − heldOutShare) = ${formatCount(evalRows)}`,
      source: `glue/src/cpt_data/packing.py; the count: ${source === 'plannedTrainTokens' ? 'configuration key plannedTrainTokens (88e9 is the seed run, PubMed)' : source}`,
    });
  }

  // Parallelism and steps: the submit function's own arithmetic.
  const nodes = config.nodeCount;
  const dataParallel = dataParallelDegree(nodes, config.tensorParallelDegree);
  const globalBatch = config.globalBatchSize;
  const perEpoch = stepsFor(rows, 1, globalBatch);
  const total = stepsFor(rows, config.epochs, globalBatch);
  const tokensTrained = total * globalBatch * seq;
  note({
    id: 'steps',
    text:
      `data-parallel degree = ${nodes} nodes × 32 NeuronCores ÷ TP ${config.tensorParallelDegree} = ${formatCount(dataParallel)}; ` +
      `steps = ceil(rows × epochs ÷ globalBatchSize) = ceil(${formatCount(rows)} × ${config.epochs} ÷ ${formatCount(globalBatch)}) = ${formatCount(total)}; ` +
      `tokens trained = steps × ${formatCount(globalBatch)} × ${formatCount(seq)}`,
    source: 'lib/training/plan.ts (dataParallelDegree, stepsFor: what the submit function computes)',
  });
  if (rows < globalBatch)
    warnings.push(
      `the training set (${formatCount(rows)} rows) is smaller than one global batch (${formatCount(globalBatch)}): each step repeats rows`,
    );

  // Throughput and time.
  const measured = config.measuredTokensPerSecondPerNode;
  const perNode: Range = tokensPerSecondPerNode(measured);
  if (measured) {
    note({
      id: 'throughput',
      text: `${formatCount(measured)} tokens/s per node, measured by you`,
      source: 'configuration key measuredTokensPerSecondPerNode',
    });
  } else {
    const p = PUBLISHED_LLAMA2_7B;
    note({
      id: 'throughput',
      text:
        `${formatCount(perNode.low)} to ${formatCount(perNode.high)} tokens/s per node: Neuron's published Llama 2 7B figures, ` +
        `${p.low.sequencesPerSecond} seq/s (SDK ${p.low.sdk}, MFU 30.8%) to ${p.high.sequencesPerSecond} seq/s (SDK ${p.high.sdk}) on ${p.nodes} nodes, ` +
        `TP ${p.tensorParallel}, sequence length ${formatCount(p.sequenceLength)}, global batch ${formatCount(p.globalBatch)}, × ${formatCount(p.sequenceLength)} ÷ ${p.nodes} nodes; ` +
        'the low figure gives the high (conservative) time and cost',
      source: p.source,
    });
    note({
      id: 'scaling',
      text:
        `assumption: tokens/s per node does not change with this run's ${nodes} nodes, sequence length ${formatCount(seq)} and global batch ${formatCount(globalBatch)}, ` +
        'nor between trn1 and trn1n (the published table lists both); measure your own and set measuredTokensPerSecondPerNode',
      source: 'assumption',
    });
  }
  const trainingHours = range(
    trainingSeconds(tokensTrained, nodes, perNode.high) / 3600,
    trainingSeconds(tokensTrained, nodes, perNode.low) / 3600,
  );
  const nodeHours = scale(trainingHours, nodes);
  note({
    id: 'hours',
    text:
      'training time = tokens trained ÷ (nodes × tokens/s per node); the train stage only: the compile stage (neuron_parallel_compile, a few steps on every node), ' +
      'prepare, export and evaluate (one node each), queue waits and restarts after failures are not included: the budget margin is there for them',
    source: 'assumption',
  });
  note({
    id: 'month',
    text: `a month is ${HOURS_PER_MONTH} hours; costs while training are the monthly ones × training hours ÷ ${HOURS_PER_MONTH}`,
    source: 'AWS pricing convention (365 × 24 ÷ 12 hours)',
  });

  // Storage.
  const bytesPerRow = rowBytes(seq);
  const datasetBytes = (rows + evalRows) * bytesPerRow;
  const saved = savedSteps(total, config.checkpointEverySteps);
  const checkpoints = saved.length;
  const oneCheckpoint = checkpointBytes();
  const s3Bytes = datasetBytes + checkpoints * oneCheckpoint;
  const fsxNeededBytes = datasetBytes + Math.min(checkpoints, config.checkpointsKept) * oneCheckpoint;
  const fsxCapacityBytes = config.fsxStorageGiB * GIB;
  note({
    id: 'bytes.row',
    text:
      `a row of ${formatCount(seq)} tokens is ${formatCount(bytesPerRow)} bytes: ${ROW_BYTES_PER_TOKEN} bytes a token (input_ids int32, attention_mask int8, labels int32) + ${ROW_OFFSET_BYTES} bytes of offsets; ` +
      `datasets (train and held-out) = ${formatNumber(datasetBytes / GIB, 1)} GiB`,
    source: ROW_BYTES_SOURCE,
  });
  note({
    id: 'checkpoint',
    text:
      `assumption: a checkpoint is ${formatNumber(CHECKPOINT.parameters / 1e9, 0)} billion parameters × ${CHECKPOINT.bytesPerParameter} bytes ` +
      `(BF16 weights 2 + FP32 master weights 4 + Adam's two FP32 moments 8) = ${formatNumber(oneCheckpoint / 1e9, 0)} GB (${formatNumber(oneCheckpoint / GIB, 1)} GiB); ` +
      `one every ${formatCount(config.checkpointEverySteps)} steps and the final one = ${formatCount(checkpoints)}, all kept in S3, the newest ${config.checkpointsKept} on FSx; ` +
      'S3 bills GB-months of 2^30 bytes',
    source: 'assumption (sizes); README, "The chain of jobs" (every checkpoint reaches the checkpoints bucket)',
  });
  if (fsxNeededBytes > fsxCapacityBytes) {
    warnings.push(
      `FSx: the datasets and ${Math.min(checkpoints, config.checkpointsKept)} kept checkpoints need ${formatNumber(fsxNeededBytes / GIB, 0)} GiB, ` +
        `more than fsxStorageGiB ${formatCount(config.fsxStorageGiB)}: raise it (1200, or a multiple of 2400)`,
    );
  }

  // Glue tokenization.
  const workers = config.glueWorkerCount;
  const dpuPerWorker = GLUE_DPU_PER_WORKER[config.glueWorkerType];
  const workDpuHours =
    (tokenizedTokens * GLUE_OVERHEAD_FACTOR) / (GLUE_BENCHMARK.tokensPerSecondPerCore * GLUE_VCPU_PER_DPU) / 3600;
  const executorDpus = Math.max(1, workers - GLUE_DRIVER_WORKERS) * dpuPerWorker;
  const wallHours = Math.max(workDpuHours / executorDpus, GLUE_MINIMUM_HOURS);
  const glueDpuHours = wallHours * workers * dpuPerWorker;
  const glueUsd = glueDpuHours * glueDpu.usd;
  note({
    id: 'glue.tokens',
    text: tokenizedFromManifest
      ? `${formatCount(tokenizedTokens)} tokens tokenized: the manifest's corpora, every split`
      : `${formatCount(tokenizedTokens)} tokens tokenized = training tokens ÷ (1 − heldOutShare ${config.heldOutShare}); assumption: the general corpus is no larger than the share mixed in`,
    source: tokenizedFromManifest ? source : 'assumption',
  });
  note({
    id: 'glue.rate',
    text:
      `tokenizing runs at ${formatCount(GLUE_BENCHMARK.tokensPerSecondPerCore)} tokens/s per vCPU, ${GLUE_VCPU_PER_DPU} vCPUs a DPU ` +
      `(measured ${GLUE_BENCHMARK.measuredOn} on one core with the sample corpus; real text may tokenize at another rate)`,
    source: `${GLUE_BENCHMARK.source}; ${GLUE_WORKER_SOURCE}`,
  });
  note({
    id: 'glue.overhead',
    text: `assumption: the whole job takes ${GLUE_OVERHEAD_FACTOR} × the tokenizing time (reading from S3, the seeded shuffle of every row, writing the datasets, a Glue vCPU slower than the benchmark's core)`,
    source: 'assumption',
  });
  note({
    id: 'glue.workers',
    text:
      `${workers} ${config.glueWorkerType} workers (${dpuPerWorker} DPU each; glueWorkerCount, glueWorkerType) are billed for the whole run, ` +
      `${GLUE_DRIVER_WORKERS} of them running the Spark driver (assumption): about ${formatNumber(wallHours, 2)} h, billed per second with a 1-minute minimum`,
    source: GLUE_WORKER_SOURCE,
  });
  if (wallHours * 60 > config.glueTimeoutMinutes) {
    warnings.push(
      `Glue: the job would run about ${formatNumber(wallHours, 1)} h, longer than glueTimeoutMinutes ${config.glueTimeoutMinutes}: raise glueWorkerCount or glueTimeoutMinutes`,
    );
  }

  note({
    id: 'excluded',
    text:
      "not included: EBS volumes (512 GB root volume of each compute node while it runs, the head node's), public IPv4 addresses, data transfer and NAT data processing, " +
      'CloudWatch, Lambda, Secrets Manager, the raw corpora you upload, exported Hugging Face models, taxes; list prices, without Savings Plans, Reserved Instances or credits',
    source: 'assumption',
  });

  // Costs while training, and once.
  const monthsTraining = scale(trainingHours, 1 / HOURS_PER_MONTH);
  const fsxMonthly = config.fsxStorageGiB * fsx.usd;
  const s3Monthly = (s3Bytes / GIB) * s3.usd;
  const headMonthly = HOURS_PER_MONTH * head.usd;
  const natMonthly = HOURS_PER_MONTH * nat.usd;
  const runCosts: CostLine[] = [
    {
      label: `Trainium nodes (${nodes} × ${config.instanceType})`,
      usd: scale(nodeHours, trainiumUsd),
      basis: ['price.trainium', 'throughput', ...(measured ? [] : ['scaling']), 'steps', 'rows', 'hours'],
    },
    {
      label: `head node (${config.headNodeInstanceType})`,
      usd: scale(monthsTraining, headMonthly),
      basis: ['price.head', 'hours', 'month'],
    },
    {
      label: `FSx for Lustre (${formatCount(config.fsxStorageGiB)} GiB)`,
      usd: scale(monthsTraining, fsxMonthly),
      basis: ['price.fsx', 'hours', 'month'],
    },
    { label: 'NAT gateway', usd: scale(monthsTraining, natMonthly), basis: ['price.nat', 'hours', 'month'] },
    {
      label: 'S3 (datasets, checkpoints)',
      usd: scale(monthsTraining, s3Monthly),
      basis: ['price.s3', 'bytes.row', 'checkpoint', 'hours', 'month'],
    },
    {
      label: 'Glue tokenization (once)',
      usd: fixed(glueUsd),
      basis: ['price.glue', 'glue.tokens', 'glue.rate', 'glue.overhead', 'glue.workers'],
    },
  ];
  const runTotal = sum(runCosts.map((c) => c.usd));

  const monthly: CostLine[] = [
    { label: `head node (${config.headNodeInstanceType})`, usd: fixed(headMonthly), basis: ['price.head', 'month'] },
    {
      label: `FSx for Lustre (${formatCount(config.fsxStorageGiB)} GiB, ${config.fsxThroughputPerTiB} MB/s/TiB)`,
      usd: fixed(fsxMonthly),
      basis: ['price.fsx'],
    },
    { label: 'NAT gateway', usd: fixed(natMonthly), basis: ['price.nat', 'month'] },
    {
      label: `S3 (${formatNumber(datasetBytes / GIB, 0)} GiB datasets, ${formatNumber((checkpoints * oneCheckpoint) / GIB, 0)} GiB checkpoints)`,
      usd: fixed(s3Monthly),
      basis: ['price.s3', 'bytes.row', 'checkpoint'],
    },
  ];
  const monthlyTotal = monthly.reduce((acc, c) => acc + c.usd.high, 0);

  const daily = dailyWhileTraining(
    {
      label: `Trainium nodes (${nodes} × ${config.instanceType})`,
      usdPerHour: nodes * trainiumUsd,
      basis: ['price.trainium'],
    },
    monthly,
  );
  const dailyTotal = daily.reduce((acc, c) => acc + c.usd.high, 0);
  const withMargin = (usd: number) => Math.ceil(usd * (1 + config.budgetMarginPercent / 100));
  const budgets: BudgetLimits = {
    marginPercent: config.budgetMarginPercent,
    dailyUsd: withMargin(dailyTotal),
    runUsd: withMargin(runTotal.high),
  };
  note({
    id: 'day',
    text:
      `a day of training: every Trainium node for ${HOURS_PER_DAY} hours, and ${HOURS_PER_DAY} ÷ ${HOURS_PER_MONTH} of a month of what stays deployed ` +
      '(S3 at its size at the end of the run, the most it holds); the DAILY cost budget is that plus budgetMarginPercent: it catches a rate of spending well above ' +
      'the plan (another cluster, more nodes, another instance type) hours after it begins, not idle nodes within the plan (the stalled-training alarm and the run budget watch those)',
    source: 'assumption; AWS Budgets DAILY cost budget (lib/monitoring/budget-kinds.ts)',
  });
  note({
    id: 'budget.run',
    text:
      "the run budget (ANNUALLY) is the run's conservative cost (the high total) plus budgetMarginPercent: it catches the total, whatever ran (a hung prepare or " +
      'compile job, an idle cluster, a slower or longer run); it counts every cost tagged project in the calendar year (UTC), so a run is measured whole unless it ' +
      'crosses 1 January, and earlier runs of the year and what stays deployed between runs count too',
    source: 'assumption; AWS Budgets ANNUALLY cost budget (lib/monitoring/budget-kinds.ts)',
  });

  const stall = stallThreshold(config);
  const timeLimits = configTimeLimits(config, total);
  note({
    id: 'time-limits',
    text:
      "each stage's Slurm time limit is its estimated work × the margin (TIME_LIMIT_MARGIN) plus fixed allowances (a job's start, a launch, loading a checkpoint), " +
      "rounded up to whole minutes: training at the slower throughput and every checkpoint save; the base model's download and conversion; the compilation of the " +
      'training graphs; the conversion and upload of each checkpoint kept on FSx; the base model and those checkpoints scored on the held-out sets on the CPUs. ' +
      'The rates other than training are assumptions, not measured here; the training function sends the same limits with each run',
    source:
      'lib/plan/time-limits.ts (the constants and their bases); cluster/training/stage-*.sh (what each stage does)',
  });
  for (const stage of STAGES.filter((s) => timeLimits.stages[s].capped)) {
    warnings.push(
      `time limit: the ${stage} stage would need about ${formatLimit(Math.ceil(timeLimits.stages[stage].exactMinutes))}, more than the longest a request may set ` +
        `(${formatLimit(MAX_TIME_LIMIT_MINUTES)}): its job stops at that limit and continues only as a restart or a resume; more nodes shorten it`,
    );
  }
  warnings.push(
    ...memoryWarnings(
      { tensorParallel: config.tensorParallelDegree, sequenceLength: seq, microBatch: config.microBatchSize },
      { tensorParallel: 'tensorParallelDegree', sequenceLength: 'sequenceLength', microBatch: 'microBatchSize' },
    ),
  );
  note({
    id: 'stall',
    text:
      "the stalled-training alarm fires when MinutesSinceLastStep reaches its threshold: stallAlarmMinutes when set, else the plan's, the longer " +
      `of two healthy waits for a step line (the script prints one every ${LOGGING_INTERVAL_STEPS} steps), at the slower throughput: between two ` +
      'step lines with each checkpoint save that can fall between them (checkpoint bytes ÷ fsxThroughputPerTiB × fsxStorageGiB, MB taken as 10^6 ' +
      `bytes), or from a (re)start to the first step line (a launch of ${LAUNCH_ALLOWANCE_SECONDS / 60} minutes, an assumption not measured here, ` +
      'loading a checkpoint, one window); plus 2 minutes of margin (an agent interval and an alarm period), rounded up to whole minutes',
    source:
      'lib/plan/stall-threshold.ts; cluster/training/cpt_lib.py (--logging_interval 10); lib/monitoring/metrics.ts (the agent publishes every 60 s)',
  });

  return {
    region,
    regionFromConfig: config.region !== undefined,
    instanceType: config.instanceType,
    nodes,
    data: { from, source, trainTokens, sequenceLength: seq, rows, evalRows },
    parallel: {
      dataParallel,
      tensorParallel: config.tensorParallelDegree,
      globalBatch,
      microBatch: config.microBatchSize,
      gradientAccumulation: globalBatch / (dataParallel * config.microBatchSize),
    },
    steps: { perEpoch, total, epochs: config.epochs },
    checkpoints: { savedSteps: saved, kept: config.checkpointsKept },
    timeLimits,
    tokensTrained,
    throughput: { tokensPerSecondPerNode: perNode, measured: measured !== undefined },
    trainingHours,
    nodeHours,
    glue: {
      tokens: tokenizedTokens,
      workers,
      workerType: config.glueWorkerType,
      wallHours,
      dpuHours: glueDpuHours,
      usd: glueUsd,
    },
    storage: { datasetBytes, checkpoints, checkpointBytes: oneCheckpoint, s3Bytes, fsxNeededBytes, fsxCapacityBytes },
    prices: {
      trainiumPerHour: trainiumUsd,
      headNodePerHour: head.usd,
      fsxPerGbMonth: fsx.usd,
      s3PerGbMonth: s3.usd,
      natPerHour: nat.usd,
      gluePerDpuHour: glueDpu.usd,
    },
    runCosts,
    runTotal,
    daily,
    dailyTotal,
    budgets,
    stall,
    monthly,
    monthlyTotal,
    assumptions,
    warnings,
  };
}

/**
 * The cost lines of a day of training: the Trainium nodes for HOURS_PER_DAY hours at `nodes.usdPerHour`, and each
 * line of what stays deployed per month (`monthly`) scaled to a day. Pure, and priced from the same lines the plan
 * prints per month: there is no second copy of the prices.
 */
export function dailyWhileTraining(
  nodes: { readonly label: string; readonly usdPerHour: number; readonly basis: readonly string[] },
  monthly: readonly CostLine[],
): CostLine[] {
  const perDay = HOURS_PER_DAY / HOURS_PER_MONTH;
  return [
    { label: nodes.label, usd: fixed(nodes.usdPerHour * HOURS_PER_DAY), basis: [...nodes.basis, 'day'] },
    ...monthly.map((line) => ({
      label: line.label,
      usd: scale(line.usd, perDay),
      basis: [...new Set([...line.basis, 'month', 'day'])],
    })),
  ];
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
