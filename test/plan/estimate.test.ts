import { ManifestCounts } from '../../lib/plan/dataset';
import { budgetLimits, dailyWhileTraining, estimateRun, PlanError, RunEstimate } from '../../lib/plan/estimate';
import { GIB } from '../../lib/plan/figures';
import { EC2_ON_DEMAND, FSX_PERSISTENT_2, HOURS_PER_MONTH } from '../../lib/plan/prices';
import { defaultConfig } from '../support/app';
import { EARLIER_FSX } from './earlier-fsx';
import { thrownBy } from '../support/errors';

/** The seed run on the earlier FSx, which the hand calculations below use (the defaults': storage-and-capacity.test.ts). */
const SEED = defaultConfig(EARLIER_FSX);

const planError = (fn: () => unknown): PlanError => thrownBy(fn, PlanError);

function line(e: RunEstimate, prefix: string) {
  const found = e.runCosts.find((c) => c.label.startsWith(prefix));
  if (!found) throw new Error(`no cost line ${prefix}`);
  return found;
}

describe('the seed run: 88e9 tokens, 16 × trn1n.32xlarge, TP 8, global batch 2,048, sequence length 4,096, 3 epochs', () => {
  const e = estimateRun(SEED);

  test('is what the configuration defaults describe', () => {
    expect(SEED).toMatchObject({
      plannedTrainTokens: 88e9,
      nodeCount: 16,
      instanceType: 'trn1n.32xlarge',
      tensorParallelDegree: 8,
      globalBatchSize: 2048,
      sequenceLength: 4096,
      epochs: 3,
      microBatchSize: 1,
    });
  });

  test('gives the rows, the parallelism and the steps worked out by hand', () => {
    // 88,000,000,000 ÷ 4,096 = 21,484,375 rows exactly.
    expect(e.data.rows).toBe(21_484_375);
    // 16 nodes × 32 NeuronCores ÷ TP 8 = 64 replicas; 2,048 ÷ (64 × 1) = 32 micro-batches each per step.
    expect(e.parallel.dataParallel).toBe(64);
    expect(e.parallel.gradientAccumulation).toBe(32);
    // ceil(21,484,375 ÷ 2,048) = ceil(10,490.42) = 10,491; ceil(64,453,125 ÷ 2,048) = ceil(31,471.27) = 31,472.
    expect(e.steps.perEpoch).toBe(10_491);
    expect(e.steps.total).toBe(31_472);
    // 31,472 × 2,048 × 4,096.
    expect(e.tokensTrained).toBe(264_006_270_976);
  });

  test('uses the published throughput range: 81 to 101.3 sequences/s of 4,096 tokens on 16 nodes', () => {
    expect(e.throughput.measured).toBe(false);
    expect(e.throughput.tokensPerSecondPerNode.low).toBe(20_736); // 81 × 4,096 ÷ 16
    expect(e.throughput.tokensPerSecondPerNode.high).toBeCloseTo(25_932.8, 6); // 101.3 × 4,096 ÷ 16
    // The published figures are for this cluster size, so hours = steps × 2,048 sequences ÷ (sequences/s) ÷ 3,600.
    expect(e.trainingHours.high).toBeCloseTo((31_472 * 2048) / 81 / 3600, 9); // 221.04 h
    expect(e.trainingHours.low).toBeCloseTo((31_472 * 2048) / 101.3 / 3600, 9); // 176.74 h
    expect(e.nodeHours.high).toBeCloseTo(e.trainingHours.high * 16, 9);
  });

  test('prices 16 trn1n.32xlarge at $24.78 an hour in us-east-1 when no Region is set, and says so', () => {
    expect(SEED.region).toBeUndefined();
    expect(e.region).toBe('us-east-1');
    expect(e.regionFromConfig).toBe(false);
    expect(e.assumptions.find((a) => a.id === 'region')?.text).toMatch(/region is unset: priced in us-east-1/);
    const nodes = line(e, 'Trainium nodes');
    expect(nodes.usd.high).toBeCloseTo(((31_472 * 2048) / 81 / 3600) * 16 * 24.78, 6); // $87,637
    expect(nodes.usd.low).toBeCloseTo(((31_472 * 2048) / 101.3 / 3600) * 16 * 24.78, 6);
  });

  test('adds the head node, FSx, NAT and S3 for the hours of training, and the tokenization once', () => {
    const months = e.trainingHours.high / HOURS_PER_MONTH;
    expect(line(e, 'head node').usd.high).toBeCloseTo(e.trainingHours.high * 0.68, 9);
    expect(line(e, 'FSx').usd.high).toBeCloseTo(1200 * 0.21 * months, 9);
    expect(line(e, 'NAT').usd.high).toBeCloseTo(e.trainingHours.high * 0.045, 9);
    expect(line(e, 'S3').usd.high).toBeCloseTo((e.storage.s3Bytes / GIB) * 0.023 * months, 9);
    const glue = line(e, 'Glue');
    expect(glue.usd.low).toBe(glue.usd.high);
    expect(e.runTotal.high).toBeCloseTo(
      e.runCosts.reduce((s, c) => s + c.usd.high, 0),
      9,
    );
    expect(e.runTotal.low).toBeLessThan(e.runTotal.high);
  });

  test('stores rows of 9 bytes a token and 63 checkpoints of 7e9 × 14 bytes', () => {
    // Train rows and held-out rows ≈ 21,484,375 × 0.001 ÷ 0.999 = 21,506, each 4,096 × 9 + 12 bytes.
    expect(e.data.evalRows).toBe(21_506);
    expect(e.storage.datasetBytes).toBe((21_484_375 + 21_506) * (4096 * 9 + 12));
    // One checkpoint every 500 steps and the final one: ceil(31,472 ÷ 500) = 63.
    expect(e.storage.checkpoints).toBe(63);
    expect(e.storage.checkpointBytes).toBe(98e9);
    expect(e.storage.s3Bytes).toBe(e.storage.datasetBytes + 63 * 98e9);
    // What FSx needs is worked out item by item in storage-and-capacity.test.ts; here the figures the plan prints, by
    // hand: the datasets 793,050,867,756 bytes × (1 − 0.1276 saved by LZ4) = 644.3 GiB, the two base models 2 × 13.5 GB,
    // the compile cache 10 GiB, 3 kept checkpoints and the one being saved 4 × 98 GB, the reports 1 MB: a peak of
    // 1,044.6 GiB during train, × 1.2 (FSX_SIZE_MARGIN) = 1,253.5 GiB. On the earlier FSx (1,200 GiB) it does not fit.
    expect(e.storage.fsxPeakBytes / GIB).toBeCloseTo(1044.57, 2);
    expect(e.storage.fsxNeededBytes / GIB).toBeCloseTo(1253.48, 2);
    expect(e.warnings.map((w) => w.slice(0, w.indexOf(':')))).toEqual(['FSx', 'FSx throughput']);
  });

  test('costs per month while deployed: the head node and the NAT gateway 730 hours, FSx, S3', () => {
    const byLabel = Object.fromEntries(e.monthly.map((m) => [m.label.split(' (')[0], m.usd.high]));
    expect(byLabel['head node']).toBeCloseTo(730 * 0.68, 9); // $496.40
    expect(byLabel['FSx for Lustre']).toBeCloseTo(1200 * 0.21, 9); // $252.00
    expect(byLabel['NAT gateway']).toBeCloseTo(730 * 0.045, 9); // $32.85
    expect(e.monthlyTotal).toBeCloseTo(
      e.monthly.reduce((s, m) => s + m.usd.high, 0),
      9,
    );
  });

  test('bills the Glue job from the benchmark rate, the overhead factor and the workers, with a 1-minute minimum', () => {
    // 88e9 ÷ 0.999 tokens × 3 ÷ (1,093,302 tokens/s × 4 vCPUs) ÷ 3,600 DPU-hours of work over 9 executor workers.
    const work = ((88e9 / 0.999) * 3) / (1_093_302 * 4) / 3600;
    expect(e.glue.wallHours).toBeCloseTo(work / 9, 9);
    expect(e.glue.dpuHours).toBeCloseTo((work / 9) * 10, 9);
    expect(e.glue.usd).toBeCloseTo(e.glue.dpuHours * 0.44, 9);
    const tiny = estimateRun(defaultConfig(EARLIER_FSX), { trainTokens: 4096 });
    expect(tiny.glue.wallHours).toBe(1 / 60);
    expect(tiny.glue.dpuHours).toBeCloseTo(10 / 60, 12);
  });

  test('rests every figure on assumptions that exist and name a source', () => {
    const ids = new Set(e.assumptions.map((a) => a.id));
    expect(ids.size).toBe(e.assumptions.length);
    for (const c of [...e.runCosts, ...e.daily, ...e.monthly]) {
      expect(c.basis.length).toBeGreaterThan(0);
      for (const id of c.basis) expect(ids).toContain(id);
    }
    for (const a of e.assumptions)
      expect(a.source).toMatch(
        /^(https:\/\/|assumption|configuration key|glue\/|lib\/|cluster\/|AWS pricing convention)/,
      );
  });
});

describe('the throughput', () => {
  test('a measured figure replaces the published range: one time, one cost', () => {
    const e = estimateRun(defaultConfig({ ...EARLIER_FSX, measuredTokensPerSecondPerNode: 23_500 }));
    expect(e.throughput).toEqual({ tokensPerSecondPerNode: { low: 23_500, high: 23_500 }, measured: true });
    expect(e.trainingHours.low).toBe(e.trainingHours.high);
    expect(e.trainingHours.high).toBeCloseTo(264_006_270_976 / (16 * 23_500) / 3600, 9);
    expect(e.runTotal.low).toBe(e.runTotal.high);
    expect(e.assumptions.find((a) => a.id === 'throughput')?.source).toBe(
      'configuration key measuredTokensPerSecondPerNode',
    );
    expect(e.assumptions.some((a) => a.id === 'scaling')).toBe(false);
  });

  test('a slower measured figure costs more than the published range', () => {
    const slow = estimateRun(defaultConfig({ ...EARLIER_FSX, measuredTokensPerSecondPerNode: 10_000 }));
    expect(slow.runTotal.high).toBeGreaterThan(estimateRun(SEED).runTotal.high);
  });
});

describe('the cost scales', () => {
  const base = estimateRun(SEED);

  test('with the nodes: twice the nodes, half the hours, the same node-hours and node cost', () => {
    const e = estimateRun(defaultConfig({ ...EARLIER_FSX, nodeCount: 32 }));
    expect(e.parallel.dataParallel).toBe(128);
    expect(e.steps.total).toBe(base.steps.total);
    expect(e.trainingHours.high).toBeCloseTo(base.trainingHours.high / 2, 9);
    expect(e.nodeHours.high).toBeCloseTo(base.nodeHours.high, 9);
    expect(line(e, 'Trainium').usd.high).toBeCloseTo(line(base, 'Trainium').usd.high, 6);
    // What runs beside the nodes is paid for half as long.
    expect(line(e, 'head node').usd.high).toBeCloseTo(line(base, 'head node').usd.high / 2, 9);
  });

  test('with the price of the instance type: trn1.32xlarge at $21.50 instead of $24.78', () => {
    const e = estimateRun(defaultConfig({ ...EARLIER_FSX, instanceType: 'trn1.32xlarge' }));
    expect(e.prices.trainiumPerHour).toBe(21.5);
    expect(line(e, 'Trainium').usd.high / line(base, 'Trainium').usd.high).toBeCloseTo(21.5 / 24.78, 12);
  });

  test('with the tokens and the epochs', () => {
    const twice = estimateRun(defaultConfig(EARLIER_FSX), { trainTokens: 176e9 });
    expect(twice.steps.total).toBe(Math.ceil((42_968_750 * 3) / 2048));
    expect(line(twice, 'Trainium').usd.high / line(base, 'Trainium').usd.high).toBeCloseTo(2, 4);
    const one = estimateRun(defaultConfig({ ...EARLIER_FSX, epochs: 1 }));
    expect(one.steps.total).toBe(10_491);
  });

  test('with the FSx throughput tier', () => {
    for (const tier of [125, 250, 500, 1000] as const) {
      const e = estimateRun(defaultConfig({ ...EARLIER_FSX, fsxThroughputPerTiB: tier, fsxStorageGiB: 2400 }));
      expect(e.monthly.find((m) => m.label.startsWith('FSx'))?.usd.high).toBeCloseTo(
        2400 * FSX_PERSISTENT_2[tier].byRegion['us-east-1'],
        9,
      );
    }
  });
});

describe('a manifest', () => {
  const counts: ManifestCounts = { run: 'pubmed-v1', sequenceLength: 4096, trainRows: 21_484_375, evalRows: 21_506 };

  test('and the equivalent token count give the same rows, steps, hours and node cost', () => {
    const fromManifest = estimateRun(SEED, { manifest: counts, source: 'manifest.json' });
    const fromTokens = estimateRun(SEED, { trainTokens: 21_484_375 * 4096 });
    expect(fromManifest.data.from).toBe('manifest');
    expect(fromManifest.data.rows).toBe(fromTokens.data.rows);
    expect(fromManifest.steps).toEqual(fromTokens.steps);
    expect(fromManifest.tokensTrained).toBe(fromTokens.tokensTrained);
    expect(fromManifest.trainingHours).toEqual(fromTokens.trainingHours);
    expect(line(fromManifest, 'Trainium').usd).toEqual(line(fromTokens, 'Trainium').usd);
  });

  test('takes its training rows as they are, whatever tokens they came from', () => {
    const e = estimateRun(SEED, { manifest: { ...counts, trainRows: 1_000_000, evalRows: 900, corpusTokens: 4.2e9 } });
    // ceil(1,000,000 × 3 ÷ 2,048) = 1,465, as the submit function computes it.
    expect(e.steps.total).toBe(1465);
    expect(e.data.evalRows).toBe(900);
    expect(e.glue.tokens).toBe(4.2e9);
  });

  test('of rows of another length is refused, naming sequenceLength and the way out', () => {
    const error = planError(() => estimateRun(SEED, { manifest: { ...counts, sequenceLength: 256 } }));
    expect(error.field).toBe('sequenceLength');
    expect(error.message).toMatch(
      /^sequenceLength = 4096: the manifest's rows have 256 tokens .*Accepted: 256 for this manifest \(-c sequenceLength=256\)/,
    );
  });
});

describe('the Region', () => {
  test('without a Trainium price on record is refused, with the Regions that have one', () => {
    const error = planError(() => estimateRun(defaultConfig({ ...EARLIER_FSX, region: 'eu-west-1' })));
    expect(error.field).toBe('region');
    expect(error.value).toBe('eu-west-1');
    expect(error.message).toBe(
      'region = "eu-west-1": no trn1n.32xlarge On-Demand price on record for this Region, and another Region\'s would be a guess. ' +
        'Accepted: a Region with a sourced trn1n.32xlarge price: us-east-1, us-east-2, us-west-2 (or add a sourced figure to lib/plan/prices.ts)',
    );
    expect(() => budgetLimits(defaultConfig({ ...EARLIER_FSX, region: 'eu-west-1' }))).toThrow(PlanError);
  });

  test('with a Trainium price but no figure for another item prices that item at us-east-1 and says so', () => {
    const e = estimateRun(defaultConfig({ ...EARLIER_FSX, region: 'us-west-2' }));
    expect(e.region).toBe('us-west-2');
    expect(e.regionFromConfig).toBe(true);
    expect(e.prices.trainiumPerHour).toBe(EC2_ON_DEMAND['trn1n.32xlarge'].byRegion['us-west-2']);
    expect(e.assumptions.find((a) => a.id === 'price.head')?.text).toMatch(
      /in us-east-1: no figure on record for us-west-2 .*so us-east-1's is used/,
    );
    expect(e.assumptions.find((a) => a.id === 'price.trainium')?.text).toMatch(/in us-west-2$/);
    expect(e.warnings).toContain(
      "no us-west-2 figure on record for head node, FSx, NAT gateway, S3, Glue: priced with us-east-1's (see the assumptions)",
    );
  });

  test('us-east-2 uses its own figures where there are some', () => {
    const e = estimateRun(defaultConfig({ ...EARLIER_FSX, region: 'us-east-2' }));
    expect(e.assumptions.find((a) => a.id === 'price.nat')?.text).toMatch(/in us-east-2$/);
    expect(e.assumptions.find((a) => a.id === 'price.s3')?.text).toMatch(/in us-east-2$/);
    expect(e.warnings[0]).toMatch(/no us-east-2 figure on record for head node, FSx, Glue:/);
  });

  test('a head-node type without a price on record is refused, naming headNodeInstanceType', () => {
    const error = planError(() => estimateRun(defaultConfig({ ...EARLIER_FSX, headNodeInstanceType: 'm7i.large' })));
    expect(error.field).toBe('headNodeInstanceType');
    expect(error.message).toMatch(
      /^headNodeInstanceType = "m7i.large": no On-Demand price on record .*Accepted: an instance type with a sourced price: c5.4xlarge/,
    );
  });
});

describe('a day of training and the daily budget', () => {
  const e = estimateRun(SEED);
  const day = (prefix: string) => {
    const found = e.daily.find((c) => c.label.startsWith(prefix));
    if (!found) throw new Error(`no daily line ${prefix}`);
    return found.usd.high;
  };

  test('is every Trainium node for 24 hours, and a day (24 ÷ 730 of a month) of the head node, FSx, the NAT gateway and S3', () => {
    expect(e.daily.map((c) => c.label.split(' (')[0])).toEqual([
      'Trainium nodes',
      'head node',
      'FSx for Lustre',
      'NAT gateway',
      'S3',
    ]);
    expect(day('Trainium nodes')).toBeCloseTo(16 * 24.78 * 24, 9); // $9,515.52
    expect(day('head node')).toBeCloseTo(0.68 * 24, 9); // $16.32
    expect(day('FSx')).toBeCloseTo((1200 * 0.21 * 24) / 730, 9); // $8.28
    expect(day('NAT gateway')).toBeCloseTo(0.045 * 24, 9); // $1.08
    expect(day('S3')).toBeCloseTo(((e.storage.s3Bytes / GIB) * 0.023 * 24) / 730, 9); // $4.91: the run's S3 at its end
    expect(e.dailyTotal).toBeCloseTo(
      e.daily.reduce((s, c) => s + c.usd.high, 0),
      9,
    );
    expect(e.dailyTotal).toBeCloseTo(9546.1, 1);
    for (const c of e.daily) expect(c.usd.low).toBe(c.usd.high); // a day does not depend on the throughput
  });

  test('the daily budget is the day plus budgetMarginPercent, rounded up to whole dollars: $11,456 for the seed run', () => {
    expect(e.budgets.dailyUsd).toBe(11_456);
    expect(budgetLimits(SEED).dailyUsd).toBe(Math.ceil(e.dailyTotal * 1.2));
    expect(budgetLimits(defaultConfig({ ...EARLIER_FSX, budgetMarginPercent: 0 })).dailyUsd).toBe(
      Math.ceil(e.dailyTotal),
    );
    expect(budgetLimits(defaultConfig({ ...EARLIER_FSX, budgetMarginPercent: 100 })).dailyUsd).toBe(
      Math.ceil(e.dailyTotal * 2),
    );
  });

  test('follows the nodes and their price, not the tokens nor the throughput (those change the days, not a day)', () => {
    expect(day('Trainium nodes')).toBeCloseTo(9515.52, 6);
    const twice = estimateRun(defaultConfig({ ...EARLIER_FSX, nodeCount: 32 }));
    expect(twice.daily[0].usd.high).toBeCloseTo(2 * day('Trainium nodes'), 9);
    const trn1 = estimateRun(defaultConfig({ ...EARLIER_FSX, instanceType: 'trn1.32xlarge' }));
    expect(trn1.daily[0].usd.high).toBeCloseTo(16 * 21.5 * 24, 9);
    const measured = estimateRun(defaultConfig({ ...EARLIER_FSX, measuredTokensPerSecondPerNode: 30_000 }));
    expect(measured.daily[0].usd.high).toBe(day('Trainium nodes'));
    // Half the tokens: the S3 at the end of the run is smaller, nothing else.
    const half = estimateRun(defaultConfig({ ...EARLIER_FSX, plannedTrainTokens: 44e9 }));
    expect(half.dailyTotal).toBeLessThan(e.dailyTotal);
    expect(half.dailyTotal).toBeGreaterThan(e.dailyTotal - day('S3'));
  });

  test('is priced from the monthly lines, not from a second copy of the prices', () => {
    const lines = dailyWhileTraining({ label: 'nodes', usdPerHour: 10, basis: ['price.trainium'] }, [
      { label: 'thing', usd: { low: 730, high: 730 }, basis: ['price.head', 'month'] },
    ]);
    expect(lines).toEqual([
      { label: 'nodes', usd: { low: 240, high: 240 }, basis: ['price.trainium', 'day'] },
      {
        label: 'thing',
        usd: { low: expect.closeTo(24, 9), high: expect.closeTo(24, 9) },
        basis: ['price.head', 'month', 'day'],
      },
    ]);
    for (const m of e.monthly) {
      expect(e.daily.find((c) => c.label === m.label)?.usd.high).toBeCloseTo((m.usd.high * 24) / 730, 9);
    }
  });
});

describe('warnings', () => {
  test('a training set smaller than one global batch', () => {
    const e = estimateRun(defaultConfig(EARLIER_FSX), { trainTokens: 1000 * 4096 });
    expect(e.steps.total).toBe(2); // ceil(1,000 × 3 ÷ 2,048)
    expect(e.warnings).toContain(
      'the training set (1,000 rows) is smaller than one global batch (2,048): each step repeats rows',
    );
  });

  test('an FSx file system too small for what the run keeps on it', () => {
    // 14 kept: 14 exports of 12.6 GiB and a full state dict (188.6 GiB) outweigh one more checkpoint (91.3 GiB).
    const e = estimateRun(defaultConfig({ checkpointsKept: 14 }));
    expect(
      e.warnings.some((w) =>
        /^FSx: the run needs \d[\d,.]* GiB \(its peak, during export, .*more than fsxStorageGiB 2,400: set fsxStorageGiB to 4,800/.test(
          w,
        ),
      ),
    ).toBe(true);
    expect(estimateRun(defaultConfig({ checkpointsKept: 14, fsxStorageGiB: 4800 })).warnings).toEqual([]);
  });

  test('a Glue job longer than its timeout', () => {
    const e = estimateRun(defaultConfig({ ...EARLIER_FSX, glueWorkerCount: 2, glueTimeoutMinutes: 60 }));
    expect(e.warnings.some((w) => w.startsWith('Glue: the job would run about'))).toBe(true);
  });

  test('fewer tokens than one row is refused', () => {
    const error = planError(() => estimateRun(defaultConfig(EARLIER_FSX), { trainTokens: 4095, source: '--tokens' }));
    expect(error.field).toBe('--tokens');
    expect(error.message).toBe(
      '--tokens = 4095: fewer tokens than one row of sequenceLength 4096. Accepted: at least 4096 tokens',
    );
  });
});

describe('the run budget', () => {
  const e = estimateRun(SEED);

  test("is the run's conservative (high) total plus budgetMarginPercent, rounded up: $87,927.06 × 1.2 = $105,513 for the seed run", () => {
    // By hand: 221.038 h of training at 20,736 tokens/s per node (the low published figure); Trainium 16 × $24.78 × 221.038
    // = $87,637.11, head node $150.31, FSx $76.30, NAT $9.95, S3 $45.19, Glue $8.21: $87,927.06; × 1.2 = $105,512.48.
    expect(e.runTotal.high).toBeCloseTo(87_927.06, 2);
    expect(e.budgets).toEqual({ marginPercent: 20, dailyUsd: 11_456, runUsd: 105_513 });
    expect(budgetLimits(SEED)).toEqual(e.budgets);
    expect(e.budgets.runUsd).toBe(Math.ceil(e.runTotal.high * 1.2));
    expect(budgetLimits(defaultConfig({ ...EARLIER_FSX, budgetMarginPercent: 0 })).runUsd).toBe(
      Math.ceil(e.runTotal.high),
    );
    expect(budgetLimits(defaultConfig({ ...EARLIER_FSX, budgetMarginPercent: 100 })).runUsd).toBe(
      Math.ceil(e.runTotal.high * 2),
    );
  });

  test('follows the tokens and the throughput (the days of a run), where the daily one does not', () => {
    const twice = estimateRun(defaultConfig({ ...EARLIER_FSX, plannedTrainTokens: 176e9 }));
    expect(twice.budgets.runUsd).toBeGreaterThan(2 * e.budgets.runUsd - 10);
    // A measured throughput gives one figure: the budget is that total plus the margin.
    const measured = estimateRun(defaultConfig({ ...EARLIER_FSX, measuredTokensPerSecondPerNode: 30_000 }));
    expect(measured.runTotal.low).toBe(measured.runTotal.high);
    expect(measured.budgets.runUsd).toBe(Math.ceil(measured.runTotal.high * 1.2));
    expect(measured.budgets.runUsd).toBeLessThan(e.budgets.runUsd);
    expect(measured.budgets.dailyUsd).toBe(e.budgets.dailyUsd);
  });

  test('rests on an assumption that says what it counts: the calendar year, earlier runs of the year included', () => {
    const note = e.assumptions.find((a) => a.id === 'budget.run');
    expect(note?.text).toMatch(/ANNUALLY.*high total.*budgetMarginPercent/);
    expect(note?.text).toMatch(/crosses 1 January.*earlier runs of the year/);
  });
});
