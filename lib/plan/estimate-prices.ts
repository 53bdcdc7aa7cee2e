import { CptConfig } from '../config/schema';
import { Assumption, Part, PlanError } from './part';
import { DEFAULT_PRICING_REGION, EC2_ON_DEMAND, FSX_PERSISTENT_2, PriceTable, SERVICE_PRICES } from './prices';
import { formatPrice } from './numbers';

/** The Region a plan prices in, and the prices it uses there (lib/plan/prices.ts). */

export interface Priced {
  readonly usd: number;
  /** The Region whose figure is used: the run's, or us-east-1's when the run's has none. */
  readonly from: string;
}

export interface PriceFigures {
  readonly region: string;
  /** False when the configuration sets no Region and us-east-1 was priced. */
  readonly regionFromConfig: boolean;
  /** A Trainium node's hourly price: in the run's Region only, never borrowed. */
  readonly trainiumUsd: number;
  readonly head: Priced;
  readonly fsx: Priced;
  readonly nat: Priced;
  readonly s3: Priced;
  readonly glueDpu: Priced;
}

function regionsOf(table: PriceTable): string {
  return Object.keys(table.byRegion).sort().join(', ');
}

/** The price of a table in a Region, or us-east-1's when the Region has none (printed as an assumption). */
export function priceIn(table: PriceTable, region: string): Priced {
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

/**
 * The prices of the configuration's Region (us-east-1 when unset). Throws a PlanError when the Region has no
 * Trainium price or the head node's type no price at all: another Region's figure would be a guess.
 */
export function pricesPart(config: CptConfig): Part<PriceFigures> {
  const region = config.region ?? DEFAULT_PRICING_REGION;
  const assumptions: Assumption[] = [
    {
      id: 'region',
      text: config.region
        ? `Priced in ${region}, the configuration's region`
        : `region is unset: priced in ${region}; cdk deploy will use the Region of your AWS profile (price another with -c region=...)`,
      source: config.region ? 'configuration key region' : 'assumption',
    },
  ];
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
  assumptions.push(priceAssumption('price.trainium', trainiumTable, { usd: trainiumUsd, from: region }, region));
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
  const tables = [
    ['head', 'head node', 'price.head', headTable],
    ['fsx', 'FSx', 'price.fsx', FSX_PERSISTENT_2[config.fsxThroughputPerTiB]],
    ['nat', 'NAT gateway', 'price.nat', SERVICE_PRICES.nat],
    ['s3', 'S3', 'price.s3', SERVICE_PRICES.s3],
    ['glueDpu', 'Glue', 'price.glue', SERVICE_PRICES.glueDpu],
  ] as const;
  const priced = {} as Record<(typeof tables)[number][0], Priced>;
  const borrowed: string[] = [];
  for (const [key, what, id, table] of tables) {
    priced[key] = priceIn(table, region);
    assumptions.push(priceAssumption(id, table, priced[key], region));
    if (priced[key].from !== region) borrowed.push(what);
  }
  const warnings =
    borrowed.length > 0
      ? [
          `no ${region} figure on record for ${borrowed.join(', ')}: priced with ${DEFAULT_PRICING_REGION}'s (see the assumptions)`,
        ]
      : [];
  return {
    figures: { region, regionFromConfig: config.region !== undefined, trainiumUsd, ...priced },
    assumptions,
    warnings,
  };
}
