/**
 * On-demand prices the run plan uses, each table with the AWS pricing page it belongs to, where the figure was
 * actually read (the AWS pages render their tables with JavaScript, so the figures come from copies of the AWS Price
 * List) and the date it was read. A Region appears in a table only where a sourced figure was found: nothing here is
 * copied from one Region to another.
 *
 * How a Region without a figure is handled (see priceFor in estimate.ts):
 * - the Trainium instance type: the plan refuses the Region (PlanError on `region`): the nodes are almost all of
 *   the bill, and another Region's price would be a guess;
 * - every other table (head node, FSx, S3, NAT gateway, Glue): us-east-1's figure is used and the plan prints that
 *   as an assumption, next to the figure it affects.
 */

/** The date the tables below were read. */
export const PRICES_READ_ON = '2026-11-28';
/** The Region priced when the configuration sets none (cdk then deploys to the Region of your AWS profile). */
export const DEFAULT_PRICING_REGION = 'us-east-1';
/** AWS prices a month as 730 hours (365 × 24 ÷ 12). */
export const HOURS_PER_MONTH = 730;

export interface PriceTable {
  /** What is priced, in words. */
  readonly what: string;
  /** The unit of every figure in byRegion. */
  readonly unit: string;
  /** The AWS pricing page the figures belong to. */
  readonly source: string;
  /** Where the figures were read, when not on the AWS page itself. */
  readonly readVia: string;
  /** The date they were read (YYYY-MM-DD). */
  readonly readOn: string;
  /** USD per unit, by Region code. */
  readonly byRegion: Readonly<Record<string, number>>;
}

const EC2_PRICING_PAGE = 'https://aws.amazon.com/ec2/pricing/on-demand/';
const VANTAGE_COPY =
  'instances.vantage.sh data (AWS Price List, updated 2026-08-26) as copied in github.com/tsaol/aws-gpu ' +
  'data/trn1_instances.js and data/trn1n_instances.js; trn1.32xlarge $21.50 also on usage.ai/blogs/aws/ai-ml-cost/trainium-vs-gpu-instances/';

/** EC2 On-Demand, Linux, shared tenancy, USD per instance-hour. */
export const EC2_ON_DEMAND: Readonly<Record<string, PriceTable>> = {
  'trn1.32xlarge': {
    what: 'trn1.32xlarge On-Demand (Linux)',
    unit: 'USD per instance-hour',
    source: EC2_PRICING_PAGE,
    readVia: VANTAGE_COPY,
    readOn: PRICES_READ_ON,
    byRegion: { 'us-east-1': 21.5, 'us-east-2': 21.5, 'us-west-2': 21.5 },
  },
  'trn1n.32xlarge': {
    what: 'trn1n.32xlarge On-Demand (Linux)',
    unit: 'USD per instance-hour',
    source: EC2_PRICING_PAGE,
    readVia: VANTAGE_COPY,
    readOn: PRICES_READ_ON,
    byRegion: { 'us-east-1': 24.78, 'us-east-2': 24.78, 'us-west-2': 24.78 },
  },
  'c5.4xlarge': {
    what: 'c5.4xlarge On-Demand (Linux)',
    unit: 'USD per instance-hour',
    source: EC2_PRICING_PAGE,
    readVia:
      "the EC2 Auto Scaling User Guide's On-Demand column (docs.aws.amazon.com/autoscaling/ec2/userguide/weights-spot-price-per-unit-hour-example.html, " +
      'us-east-1), the same figure as in several public us-east-1 price tables; no sourced figure found for other Regions',
    readOn: PRICES_READ_ON,
    byRegion: { 'us-east-1': 0.68 },
  },
};

const FSX_PRICING_PAGE = 'https://aws.amazon.com/fsx/lustre/pricing/';
const FSX_COPY =
  "a public FSx cost tool's price table 'based on AWS Price List API data for us-east-1' (Persistent 2 SSD: 0.145, 0.21, 0.34, 0.60); " +
  '125 MB/s/TiB also on c3x.dev/resources/aws/aws_fsx_lustre_file_system/; no sourced figure found for other Regions';

function fsxTier(throughput: number, usd: number): PriceTable {
  return {
    what: `FSx for Lustre PERSISTENT_2 SSD, ${throughput} MB/s/TiB`,
    unit: 'USD per GB-month of storage capacity',
    source: FSX_PRICING_PAGE,
    readVia: FSX_COPY,
    readOn: PRICES_READ_ON,
    byRegion: { 'us-east-1': usd },
  };
}

/** FSx for Lustre PERSISTENT_2 (SSD) storage, by throughput tier (MB/s per TiB); throughput is included. */
export const FSX_PERSISTENT_2: Readonly<Record<125 | 250 | 500 | 1000, PriceTable>> = {
  125: fsxTier(125, 0.145),
  250: fsxTier(250, 0.21),
  500: fsxTier(500, 0.34),
  1000: fsxTier(1000, 0.6),
};

/**
 * A service priced besides EC2 and FSx: what, the unit, its pricing page (https://aws.amazon.com/<page>/pricing/), USD
 * by Region, and where the figures were read.
 */
type ServiceRow = readonly [
  what: string,
  unit: string,
  page: string,
  byRegion: Record<string, number>,
  readVia: string,
];

const SERVICE_ROWS = {
  // S3 Standard storage, first 50 TB a month.
  s3: [
    'S3 Standard storage (first 50 TB a month)',
    'USD per GB-month',
    's3',
    { 'us-east-1': 0.023, 'us-east-2': 0.023 },
    'us-east-1: learning-aws.readthedocs.io resources/pricing (citing the S3 pricing page) and devnotes.tech S3 pricing breakdown; ' +
      'us-east-2: an AWS Price List extract for US East (Ohio), github.com/alexjguy/AWS-costs-markdown aws_costs.md (2018-08); no sourced figure found for us-west-2',
  ],
  // One NAT gateway, per hour it exists (data processed is extra: S3 traffic uses the gateway endpoint instead).
  nat: [
    'NAT gateway (hourly charge)',
    'USD per NAT gateway-hour',
    'vpc',
    { 'us-east-1': 0.045, 'us-east-2': 0.045 },
    'us-east-1: basavytix.com/blog/aws-nat-gateway-pricing ("these are the us-east-1 rates"); ' +
      'us-east-2: cloudburn.io/blog/aws-nat-gateway-pricing (US East Ohio example) and the Ohio Price List extract in github.com/alexjguy/AWS-costs-markdown; ' +
      'no exact figure found for us-west-2',
  ],
  // AWS Glue Spark jobs (Glue 2.0 and later): per DPU-hour, billed per second with a 1-minute minimum.
  glueDpu: [
    'AWS Glue ETL job (Spark), per DPU-hour, 1-minute minimum',
    'USD per DPU-hour',
    'glue',
    { 'us-east-1': 0.44 },
    "the Glue pricing page's ETL example (a copy of aws.amazon.com/tr/glue/pricing: 'the price of 1 DPU-hour is $0.44'); " +
      'the 1-minute minimum: awsnegotiations.com/glue-job-cost-optimization.html; figure taken as us-east-1',
  ],
} as const satisfies Record<string, ServiceRow>;

/** S3 Standard storage, the NAT gateway and Glue: a table each, by the key the plan's figures use. */
export const SERVICE_PRICES = Object.fromEntries(
  Object.entries(SERVICE_ROWS).map(([key, [what, unit, page, byRegion, readVia]]): [string, PriceTable] => [
    key,
    { what, unit, source: `https://aws.amazon.com/${page}/pricing/`, readVia, readOn: PRICES_READ_ON, byRegion },
  ]),
) as Readonly<Record<keyof typeof SERVICE_ROWS, PriceTable>>;

/**
 * What EC2 sells as a Capacity Block for ML: durations in whole days up to 14, then in whole weeks up to 182 days;
 * any instance count up to 64 a block (DescribeCapacityBlockOfferings CapacityDurationHours and InstanceCount). Every
 * block ends at 11:30 UTC, so an offering may be slightly shorter or longer than the duration asked for. The price is
 * the offering's (UpfrontFee), known only by searching offerings. The page's older text listed counts of 1, 2, 4, 8,
 * 16, 32 or 64 instances and up to 3 offerings; its current text, quoted below, any count up to 64 and up to 6.
 */
export const CAPACITY_BLOCK_TERMS = {
  dailyUpToDays: 14,
  weeklyUpToDays: 182,
  maxInstances: 64,
  endsAtUtc: '11:30',
  source:
    'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-blocks-purchase.html ("1-day increments up to 14 days, and in 7-day ' +
    'increments up to 182 days. Each Capacity Block can have up to 64 instances"; "All Capacity Blocks end at 11:30AM UTC ... One block will ' +
    'have a duration that is slightly less than your desired duration, while the other will have a duration slightly greater"); ' +
    'capacity-blocks-using.html ("Capacity Block sizes of 64 instances are not supported for all instance types in all AWS Regions")',
  readOn: '2026-12-08',
} as const;

/** How each capacity kind bills a node-hour, for the plan's notes (capacityType, lib/config/fields.ts). */
export const CAPACITY_BILLING = {
  'on-demand': {
    text: 'on-demand nodes are billed per second while they run (launched when a run needs them, stopped after 10 idle minutes)',
    source: 'https://aws.amazon.com/ec2/pricing/on-demand/',
  },
  reservation: {
    text:
      'an On-Demand Capacity Reservation is billed at the On-Demand rate whether instances run in it or not, every hour it exists, ' +
      'not only while training: release it when the run ends',
    source:
      'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-capacity-reservations.html (its section "Capacity Reservation pricing and billing")',
  },
  'capacity-block': {
    text: 'a Capacity Block is paid up front, whole, for its duration and instance count, whatever runs in it; its instances stop at its end',
    source: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-blocks-pricing-billing.html',
  },
  spot: {
    text:
      'Spot nodes are billed at the Spot price while they run and can be reclaimed at two minutes notice; a reclaimed node fails the train job, which ' +
      'requeues itself (maxTrainRestarts) and resumes from its newest checkpoint',
    source: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-interruptions.html',
  },
} as const;
