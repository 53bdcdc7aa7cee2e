import { CptConfig } from '../config/schema';
import { fixed, Range, scale, sum } from '../run/range';
import { StorageFigures } from '../run/storage';
import { PriceFigures } from './estimate-prices';
import { GIB } from './figures';
import { formatCount, formatNumber } from './numbers';
import { Part } from './part';
import { COMPUTE_ROOT_VOLUME_GIB } from '../cluster/cluster-config';
import { HOURS_PER_MONTH } from './prices';

/** Hours in a day of the DAILY budget (AWS Budgets resets it every day, UTC). */
export const HOURS_PER_DAY = 24;

export interface CostLine {
  readonly label: string;
  readonly usd: Range;
  /** Ids of the assumptions the figure rests on. */
  readonly basis: readonly string[];
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

export interface CostFigures {
  /** What the run costs while it trains, and once (tokenization). */
  readonly runCosts: readonly CostLine[];
  readonly runTotal: Range;
  /** What a day of training costs: every Trainium node for 24 hours, and a day of what stays deployed. */
  readonly daily: readonly CostLine[];
  readonly dailyTotal: number;
  readonly budgets: BudgetLimits;
  /** What stays deployed costs per month, trained or not. */
  readonly monthly: readonly CostLine[];
  readonly monthlyTotal: number;
}

export interface CostInputs {
  readonly prices: PriceFigures;
  /** The Trainium nodes as the capacity kind bills them (lib/plan/estimate-capacity.ts). */
  readonly trainium: {
    readonly label: string;
    readonly runUsd: Range;
    readonly nodeHourUsd: number;
    /** Ids of the assumptions of the capacity kind's price. */
    readonly basis: readonly string[];
  };
  readonly trainingHours: Range;
  readonly nodeHours: Range;
  /** True when the throughput is measured: the Trainium line then rests on no scaling assumption. */
  readonly measured: boolean;
  readonly storage: StorageFigures;
  readonly glueUsd: number;
}

/** What the run costs, what stays deployed costs per month, a day of training, and the budgets' limits. */
export function costsPart(config: CptConfig, inputs: CostInputs): Part<CostFigures> {
  const { prices, storage } = inputs;
  const nodes = config.nodeCount;
  const monthsTraining = scale(inputs.trainingHours, 1 / HOURS_PER_MONTH);
  const fsxMonthly = config.fsxStorageGiB * prices.fsx.usd;
  const s3Monthly = (storage.s3Bytes / GIB) * prices.s3.usd;
  const headMonthly = HOURS_PER_MONTH * prices.head.usd;
  const natMonthly = HOURS_PER_MONTH * prices.nat.usd;
  const runCosts: CostLine[] = [
    {
      label: inputs.trainium.label,
      usd: inputs.trainium.runUsd,
      basis: [
        'price.trainium',
        ...inputs.trainium.basis,
        'throughput',
        ...(inputs.measured ? [] : ['scaling']),
        'steps',
        'rows',
        'hours',
      ],
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
      usd: fixed(inputs.glueUsd),
      basis: ['price.glue', 'glue.tokens', 'glue.rate', 'glue.overhead', 'glue.workers'],
    },
  ];
  const runTotal = sum(runCosts.map((c) => c.usd));

  // A reservation bills every hour it exists: it counts in what stays deployed.
  const reservation: CostLine[] =
    config.capacityType === 'reservation'
      ? [
          {
            label: `capacity reservation (${nodes} × ${config.instanceType}, while it exists)`,
            usd: fixed(nodes * HOURS_PER_MONTH * inputs.trainium.nodeHourUsd),
            basis: [...inputs.trainium.basis, 'price.trainium', 'month'],
          },
        ]
      : [];
  const monthly: CostLine[] = [
    ...reservation,
    { label: `head node (${config.headNodeInstanceType})`, usd: fixed(headMonthly), basis: ['price.head', 'month'] },
    {
      label: `FSx for Lustre (${formatCount(config.fsxStorageGiB)} GiB, ${config.fsxThroughputPerTiB} MB/s/TiB)`,
      usd: fixed(fsxMonthly),
      basis: ['price.fsx'],
    },
    { label: 'NAT gateway', usd: fixed(natMonthly), basis: ['price.nat', 'month'] },
    {
      label: `S3 (${formatNumber(storage.datasetBytes / GIB, 0)} GiB datasets, ${formatNumber((storage.checkpoints * storage.checkpointBytes) / GIB, 0)} GiB checkpoints)`,
      usd: fixed(s3Monthly),
      basis: ['price.s3', 'bytes.row', 'checkpoint'],
    },
  ];
  const monthlyTotal = monthly.reduce((acc, c) => acc + c.usd.high, 0);

  // A Capacity Block is paid once, up front: its nodes cost nothing more on a day of training (the run's line counts it).
  const paidUpFront = config.capacityType === 'capacity-block';
  const daily = dailyWhileTraining(
    paidUpFront
      ? undefined
      : {
          label: `Trainium nodes (${nodes} × ${config.instanceType})`,
          usdPerHour: nodes * inputs.trainium.nodeHourUsd,
          basis: ['price.trainium', ...inputs.trainium.basis],
        },
    // A reservation's line is the nodes' own: a day of it is counted once.
    monthly.filter((line) => !reservation.includes(line)),
  );
  const dailyTotal = daily.reduce((acc, c) => acc + c.usd.high, 0);
  const withMargin = (usd: number) => Math.ceil(usd * (1 + config.budgetMarginPercent / 100));
  return {
    figures: {
      runCosts,
      runTotal,
      daily,
      dailyTotal,
      budgets: {
        marginPercent: config.budgetMarginPercent,
        dailyUsd: withMargin(dailyTotal),
        runUsd: withMargin(runTotal.high),
      },
      monthly,
      monthlyTotal,
    },
    assumptions: [
      {
        id: 'excluded',
        text:
          "not included: EBS volumes (512 GB root volume of each compute node while it runs, the head node's), public IPv4 addresses, data transfer and NAT data processing, " +
          'CloudWatch, Lambda, Secrets Manager, the raw corpora you upload, exported Hugging Face models, taxes; list prices, without Savings Plans, Reserved Instances or credits',
        source: 'assumption',
      },
      paidUpFront
        ? {
            id: 'day',
            text:
              `a day of training: ${HOURS_PER_DAY} ÷ ${HOURS_PER_MONTH} of a month of what stays deployed (S3 at its size at the end of the run, the most it holds), ` +
              "without the Capacity Block's nodes: the block is paid once, up front, when it is bought, and its instances cost nothing more while they run. " +
              'The DAILY cost budget is that plus budgetMarginPercent: if the block is tagged project, the day it is charged its whole price passes the limit and the ' +
              'budget alerts once (expected); on the days of training it catches any other spending (on-demand nodes, another cluster), not the block. ' +
              `Not priced here: the compute nodes' EBS root volumes (${nodes} × ${COMPUTE_ROOT_VOLUME_GIB} GiB gp3 while they run, tagged project as ParallelCluster tags ` +
              'them), a larger share of a day without the nodes: if the daily budget alerts on every day of training, they are the likely cause',
            source:
              'assumption; https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-blocks-pricing-billing.html; AWS Budgets DAILY cost budget ' +
              '(lib/monitoring/budget-kinds.ts); aws-parallelcluster 3.16.1 pcluster/templates/queues_stack.py (the compute launch template tags its volumes ' +
              'with the cluster Tags), pcluster/constants.py EBS_VOLUME_TYPE_DEFAULT gp3',
          }
        : {
            id: 'day',
            text:
              `a day of training: every Trainium node for ${HOURS_PER_DAY} hours, and ${HOURS_PER_DAY} ÷ ${HOURS_PER_MONTH} of a month of what stays deployed ` +
              '(S3 at its size at the end of the run, the most it holds); the DAILY cost budget is that plus budgetMarginPercent: it catches a rate of spending well above ' +
              'the plan (another cluster, more nodes, another instance type) hours after it begins, not idle nodes within the plan (the stalled-training alarm and the run budget watch those)',
            source: 'assumption; AWS Budgets DAILY cost budget (lib/monitoring/budget-kinds.ts)',
          },
      {
        id: 'budget.run',
        text:
          "the run budget (ANNUALLY) is the run's conservative cost (the high total) plus budgetMarginPercent: it catches the total, whatever ran (a hung prepare or " +
          'compile job, an idle cluster, a slower or longer run); it counts every cost tagged project in the calendar year (UTC), so a run is measured whole unless it ' +
          'crosses 1 January, and earlier runs of the year and what stays deployed between runs count too',
        source: 'assumption; AWS Budgets ANNUALLY cost budget (lib/monitoring/budget-kinds.ts)',
      },
    ],
    warnings: [],
  };
}

/**
 * The cost lines of a day of training: the Trainium nodes for HOURS_PER_DAY hours at `nodes.usdPerHour` (none when
 * they are paid up front), and each line of what stays deployed per month (`monthly`) scaled to a day. Pure, and priced from the same lines the plan
 * prints per month: there is no second copy of the prices.
 */
export function dailyWhileTraining(
  nodes: { readonly label: string; readonly usdPerHour: number; readonly basis: readonly string[] } | undefined,
  monthly: readonly CostLine[],
): CostLine[] {
  const perDay = HOURS_PER_DAY / HOURS_PER_MONTH;
  return [
    ...(nodes
      ? [{ label: nodes.label, usd: fixed(nodes.usdPerHour * HOURS_PER_DAY), basis: [...nodes.basis, 'day'] }]
      : []),
    ...monthly.map((line) => ({
      label: line.label,
      usd: scale(line.usd, perDay),
      basis: [...new Set([...line.basis, 'month', 'day'])],
    })),
  ];
}
