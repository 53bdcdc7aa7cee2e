import * as fs from 'fs';
import * as path from 'path';
import { estimateRun, RunEstimate } from '../../lib/plan/estimate';
import {
  capacityBlockDays,
  capacityBlockInstances,
  capacityBlockReservedHours,
} from '../../lib/plan/estimate-capacity';
import { fsxTierFor } from '../../lib/plan/estimate-fsx-throughput';
import { FSX_COMPRESSION, GIB, smallestFsxSizeGiB } from '../../lib/plan/figures';
import { formatPlan } from '../../lib/plan/format';
import { defaultConfig, REPO_ROOT } from '../support/app';

/** The seed run's figures, by hand. */
const ROWS = 21_484_375 + 21_506; // training and held-out rows (estimate.test.ts works them out)
const DATASET = ROWS * (4096 * 9 + 12);
const MODEL = 13.5e9;
const CHECKPOINT = 98e9;
const CACHE = 10 * GIB;
const SLOW_TRAINING_HOURS = (31_472 * 2048 * 4096) / (16 * 20_736) / 3600; // 221.04 h at 20,736 tokens/s per node
const ON_DEMAND = 24.78; // trn1n.32xlarge, us-east-1
const TRN1 = 21.5; // trn1.32xlarge, us-east-1
const BLOCK = {
  capacityType: 'capacity-block',
  capacityReservationId: 'cr-0123456789abcdef0',
  instanceType: 'trn1.32xlarge',
} as const;

const warningsOf = (e: RunEstimate, start: string) => e.warnings.filter((w) => w.startsWith(start));

describe('what FSx holds: every item the stages write, and when', () => {
  const e = estimateRun(defaultConfig());
  const s = e.storage;
  const item = (start: string) => {
    const found = s.fsxItems.find((i) => i.what.startsWith(start));
    if (!found) throw new Error(`no FSx item ${start}`);
    return found;
  };

  test('the datasets, compressed as measured; models, checkpoints and the cache as written', () => {
    expect(item('datasets').bytes).toBe(DATASET);
    expect(item('datasets').storedBytes).toBeCloseTo(DATASET * (1 - FSX_COMPRESSION.datasetSavedShare), 0);
    expect(item('base model, Hugging Face')).toMatchObject({ phase: 'run', bytes: MODEL, storedBytes: MODEL });
    expect(item('base model, tensor-parallel')).toMatchObject({ phase: 'run', bytes: MODEL });
    expect(item("base model's full state dict")).toMatchObject({ phase: 'prepare', bytes: MODEL });
    expect(item('compile cache')).toMatchObject({ phase: 'run', bytes: CACHE });
    expect(item('3 kept checkpoints')).toMatchObject({
      phase: 'run',
      bytes: 3 * CHECKPOINT,
      storedBytes: 3 * CHECKPOINT,
    });
    expect(item('the checkpoint being saved')).toMatchObject({ phase: 'train', bytes: CHECKPOINT });
    expect(item('3 exports')).toMatchObject({ phase: 'export', bytes: 3 * MODEL });
    expect(item('the full state dict being converted')).toMatchObject({ phase: 'export', bytes: MODEL });
  });

  test('the peak is the whole-run items plus the largest stage (train: one checkpoint more), + 20%: 2,400 GiB', () => {
    const whole = DATASET * (1 - FSX_COMPRESSION.datasetSavedShare) + 2 * MODEL + CACHE + 3 * CHECKPOINT + 1e6;
    // prepare adds 13.5 GB, export 4 × 13.5 GB = 54 GB, train 98 GB.
    expect(s.fsxPeakPhase).toBe('train');
    expect(s.fsxPeakBytes).toBeCloseTo(whole + CHECKPOINT, 0);
    expect(s.fsxNeededBytes).toBeCloseTo((whole + CHECKPOINT) * 1.2, 0);
    expect(s.fsxNeededBytes / GIB).toBeGreaterThan(1200); // 1,253.5 GiB with the measured saving
    expect(s.fsxSmallestGiB).toBe(2400);
    expect(warningsOf(e, 'FSx')).toEqual([]);
  });

  test('a file system below it is warned about, with the size to set', () => {
    const small = estimateRun(defaultConfig({ fsxStorageGiB: 1200 }));
    const [warning] = warningsOf(small, 'FSx: ');
    expect(warning).toMatch(
      /^FSx: the run needs 1,253\.\d GiB \(its peak, during train, 1,044\.\d GiB after compression, \+ 20%\), more than fsxStorageGiB 1,200: set fsxStorageGiB to 2,400/,
    );
    expect(formatPlan(small)).toContain('too small: see the warnings');
  });

  test('only as many checkpoints as were saved: a run of fewer saves than checkpointsKept', () => {
    const short = estimateRun(defaultConfig(), { trainTokens: 400 * 2048 * 4096 }); // 1,200 steps: 3 saves (500, 1,000, 1,200)
    expect(short.storage.checkpoints).toBe(3);
    expect(short.storage.fsxItems.find((i) => i.phase === 'train')?.bytes).toBe(0);
    expect(short.storage.fsxPeakPhase).toBe('export');
  });

  test('PERSISTENT_2 sizes: 1,200 GiB, then multiples of 2,400', () => {
    expect([1, 1200, 1200.1, 2400, 2401, 7000].map(smallestFsxSizeGiB)).toEqual([1200, 1200, 2400, 2400, 4800, 7200]);
  });
});

describe('the recorded LZ4 measurement (lib/plan/fsx-compression.json)', () => {
  const record = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'lib', 'plan', 'fsx-compression.json'), 'utf8'));

  test('has the date, the command, and what the plan reads: the datasets saving, the smallest of its samples', () => {
    expect(record.measuredOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(record.command).toMatch(/^\.venv\/bin\/python scripts\/measure-fsx-compression\.py/);
    const shares = record.datasets.samples.map((x: { savedShare: number }) => x.savedShare);
    expect(record.datasets.savedShare).toBe(Math.min(...shares));
    expect(record.datasets.savedShare).toBeGreaterThan(0);
    expect(record.datasets.savedShare).toBeLessThan(1);
    expect(FSX_COMPRESSION.datasetSavedShare).toBe(record.datasets.savedShare);
    expect(record.datasets.samples.map((x: { name: string }) => x.name)).toContain('uniform-ids-4096');
  });

  test('each sample: its bytes, its compressed bytes per block size, and the saving of the larger', () => {
    for (const x of [...record.datasets.samples, ...record.tensors.samples]) {
      expect(Object.keys(x.compressedBytes).map(Number)).toEqual(record.blockBytes);
      const larger = Math.max(...(Object.values(x.compressedBytes) as number[]));
      expect(x.savedShare).toBeCloseTo(1 - larger / x.bytes, 4);
    }
    expect(record.tensors.savedShare).toBe(0); // counted as incompressible
  });
});

describe('checkpoint saves on FSx', () => {
  const e = estimateRun(defaultConfig());
  const t = e.fsxThroughput;

  test('the throughput that keeps a save within checkpointSaveMinutes, and the tier it takes at the needed size', () => {
    // 98e9 bytes in 2 minutes = 816.7 MB/s; at 2,400 GiB (2.34 TiB) 348.4 MB/s per TiB: the 500 tier.
    expect(t.neededMbPerSecond).toBeCloseTo(98e9 / 120 / 1e6, 6);
    expect(t.neededPerTiB).toBeCloseTo(98e9 / 120 / 1e6 / (2400 / 1024), 6);
    expect(t.tier).toBe(500);
    expect(fsxTierFor(816.7, 1200)).toBe(1000);
    expect(fsxTierFor(816.7, 4800)).toBe(250);
    expect(fsxTierFor(3000, 2400)).toBeUndefined();
  });

  test("the run's stall at the configured throughput: saves × save time, in hours, node-hours and USD", () => {
    const rate = 500e6 * (2400 / 1024); // 1,171.9 MB/s
    const saveMinutes = 98e9 / rate / 60; // 1.39
    expect(t.configured.saveMinutes).toBeCloseTo(saveMinutes, 9);
    expect(t.saves).toBe(63);
    expect(t.configured.stallHours).toBeCloseTo((63 * saveMinutes) / 60, 9);
    expect(t.configured.stallNodeHours).toBeCloseTo((16 * 63 * saveMinutes) / 60, 9);
    expect(t.configured.stallUsd).toBeCloseTo(((16 * 63 * saveMinutes) / 60) * ON_DEMAND, 6);
    expect(t.configured.fsxMonthlyUsd).toBeCloseTo(2400 * 0.34, 9);
    expect(warningsOf(e, 'FSx throughput')).toEqual([]);
  });

  test('each tier at the needed size: its price per month against its stall per run', () => {
    expect(t.options.map((o) => [o.sizeGiB, o.tier, o.configured])).toEqual([
      [2400, 125, false],
      [2400, 250, false],
      [2400, 500, true],
      [2400, 1000, false],
    ]);
    const slowest = t.options[0];
    expect(slowest.stallNodeHours).toBeCloseTo(4 * t.configured.stallNodeHours, 9);
    expect(slowest.fsxMonthlyUsd).toBeCloseTo(2400 * 0.145, 9);
    const text = formatPlan(e).replace(/\s+/g, ' ');
    // +$468 a month (2,400 × (0.34 − 0.145)); 3 × 23.4 node-hours less stall.
    expect(text).toMatch(
      /configured against 2,400 GiB × 125: \+\$468\.00 a month of FSx, 70\.2 node-hours \(\$1,741\) less stall per run/,
    );
  });

  test('a configuration below it is warned about: the earlier defaults, 1,200 GiB × 250 MB/s per TiB', () => {
    const slow = estimateRun(defaultConfig({ fsxStorageGiB: 1200, fsxThroughputPerTiB: 250 }));
    expect(slow.fsxThroughput.configured.mbPerSecond).toBeCloseTo(250 * (1200 / 1024), 9); // 293 MB/s
    expect(warningsOf(slow, 'FSx throughput')).toEqual([
      'FSx throughput: fsxStorageGiB 1,200 × fsxThroughputPerTiB 250 gives 293 MB/s, a checkpoint save takes 5.6 min, ' +
        'more than checkpointSaveMinutes 2: it takes 817 MB/s, fsxThroughputPerTiB 500 at 2,400 GiB',
    ]);
    // Its configured row is listed after the tiers of the needed size.
    expect(slow.fsxThroughput.options.at(-1)).toMatchObject({ sizeGiB: 1200, tier: 250, configured: true });
  });

  test('a target no tier meets at the needed size asks for a larger file system', () => {
    const fast = estimateRun(defaultConfig({ checkpointSaveMinutes: 0.5 })); // 3,267 MB/s: 1,394 MB/s per TiB at 2,400 GiB
    expect(fast.fsxThroughput.tier).toBeUndefined();
    expect(warningsOf(fast, 'FSx throughput')[0]).toContain(
      'more than 1000 MB/s per TiB gives at 2,400 GiB: a larger fsxStorageGiB',
    );
  });
});

describe('the Trainium nodes priced by capacityType', () => {
  const trainium = (e: RunEstimate) => e.runCosts[0];

  test('on-demand: node-hours at the list price, or at capacityPricePerNodeHour', () => {
    const e = estimateRun(defaultConfig());
    expect(trainium(e).label).toBe('Trainium nodes (16 × trn1n.32xlarge, on-demand)');
    expect(trainium(e).usd.high).toBeCloseTo(16 * SLOW_TRAINING_HOURS * ON_DEMAND, 6);
    const own = estimateRun(defaultConfig({ capacityPricePerNodeHour: 20 }));
    expect(trainium(own).usd.high).toBeCloseTo(16 * SLOW_TRAINING_HOURS * 20, 6);
    expect(own.assumptions.map((a) => a.id)).toContain('capacity.price');
  });

  test('reservation: billed at the on-demand rate every hour it exists, so it counts in what stays deployed', () => {
    const e = estimateRun(
      defaultConfig({ capacityType: 'reservation', capacityReservationId: 'cr-0123456789abcdef0' }),
    );
    expect(trainium(e).usd.high).toBeCloseTo(16 * SLOW_TRAINING_HOURS * ON_DEMAND, 6);
    expect(e.monthly[0].label).toBe('capacity reservation (16 × trn1n.32xlarge, while it exists)');
    expect(e.monthly[0].usd.high).toBeCloseTo(16 * 730 * ON_DEMAND, 6); // $289,430.40
    // A day of training counts the nodes once.
    expect(e.dailyTotal).toBeCloseTo(estimateRun(defaultConfig()).dailyTotal, 6);
    const note = e.assumptions.find((a) => a.id === 'capacity')?.text;
    expect(note).toContain('whether instances run in it or not, every hour it exists, not only while training');
  });

  test('capacity-block: the smallest block EC2 sells whose usable hours hold the whole chain at the slower throughput, paid whole', () => {
    const e = estimateRun(defaultConfig({ ...BLOCK, capacityPricePerNodeHour: 11.5 }));
    // The chain's minutes by hand, each stage's work and allowances without the time limits' × 1.5 (the plan's "Time
    // limits of the chain's jobs" lines, to 0.1 min):
    const prepare = 9.0 + 15.8 + 5.0; // base model download, conversion to shards, job start
    const compile = 120.0 + 5.0 + 5.0; // graph compilation, job start, launch
    // Training at the slower throughput (221.038 h × 60), 63 saves of 98 GB at 1,172 MB/s (1.394 min each), job start,
    // launch, loading a checkpoint.
    const train = 13_262.3 + 87.8 + 5.0 + 5.0 + 1.4;
    const exportStage = 47.3 + 13.5 + 5.0; // 3 conversions to Hugging Face format, 3 uploads, job start
    const evaluate = 175.5 + 5.0; // 4 models × 2 sets × 32 rows on the CPUs, job start
    const chainHours = ((prepare + compile + train + exportStage + evaluate) * 1.1) / 60; // 13,767.6 min × 1.1 = 252.4 h
    const block = e.capacity.block;
    expect(block?.chainHours).toBeCloseTo(252.4, 1);
    expect(block?.chainHours).toBeCloseTo(chainHours, 1);
    // Usable: the block's hours less 30 min (EC2 begins terminating), one save (1.394 min) and 10 min before stopBy.
    expect(block?.reservedHours).toBeCloseTo((30 + 1.394 + 10) / 60, 3); // 0.690 h
    // 252.4 + 0.69 = 253.1 h, an offering of at least 254 whole hours: 10.6 days, an 11-day block of 264 h, 263.3 h usable.
    expect(block).toMatchObject({ minimumDurationHours: 254, days: 11, instances: 16 });
    expect(block?.usableHours).toBeCloseTo(264 - 41.394 / 60, 3);
    expect(trainium(e).label).toBe('Capacity Block (16 × trn1.32xlarge, 11 days)');
    expect(trainium(e).usd).toEqual({ low: 16 * 11 * 24 * 11.5, high: 16 * 11 * 24 * 11.5 }); // $48,576
    expect(e.warnings.filter((w) => w.startsWith('Capacity Block'))).toEqual([]);
    const text = formatPlan(e).replace(/\s+/g, ' ');
    expect(text).toContain(
      "16 × trn1.32xlarge for 11 days (264 h, 263.3 h usable before the training function's stopBy)",
    );
    expect(text).toContain(
      'every block ends at 11:30 UTC, so an offering may be slightly shorter or longer than asked: buy one whose CapacityBlockDurationHours is at least 254 h',
    );
  });

  test('capacity-block: a chain that fits the whole days but not their usable hours takes a day more', () => {
    // 23.5 h of chain: 1 day would hold it, but 24 h less 41.4 min leaves 23.31 h usable.
    expect(capacityBlockReservedHours(1.4)).toBeCloseTo(41.4 / 60, 9);
    expect(capacityBlockDays(23.5)).toBe(1);
    expect(capacityBlockDays(23.5 + capacityBlockReservedHours(1.4))).toBe(2);
    expect(capacityBlockDays(23.3 + capacityBlockReservedHours(1.4))).toBe(1);
  });

  test('capacity-block and reservation: the plan says a hand-bought one is invisible to the budgets until tagged', () => {
    const block = formatPlan(estimateRun(defaultConfig(BLOCK))).replace(/\s+/g, ' ');
    expect(block).toContain(
      'the cost budgets count only costs tagged project = <projectName>: a block bought by hand has no tags, so its price is invisible to both budgets until you tag it',
    );
    const reservation = estimateRun(
      defaultConfig({ capacityType: 'reservation', capacityReservationId: 'cr-0123456789abcdef0' }),
    );
    // The run budget's margin, $105,718 − $88,097.84 = $17,620.16, is 44.4 h of 16 × $24.78.
    expect(formatPlan(reservation).replace(/\s+/g, ' ')).toContain(
      'it bills the reservation\'s unused hours to the reservation, which has no tags when made by hand: both budgets miss them until you tag it (README, "The capacity kind\'s price": ' +
        '--tag-specifications when you buy it, or aws ec2 create-tags afterwards). Tagged, a day with the nodes idle costs what a day of training does, ' +
        'under the daily limit; the run budget counts every hour the reservation exists, and its margin ($17,620) is 44.4 h of the reservation',
    );
  });

  test('capacity-block: a day of training leaves out the block, paid once up front; the run counts it once', () => {
    const e = estimateRun(defaultConfig(BLOCK));
    expect(e.daily.map((l) => l.label)).not.toContain('Trainium nodes (16 × trn1.32xlarge)');
    expect(e.daily.map((l) => l.label)[0]).toBe('head node (c5.4xlarge)');
    expect(e.dailyTotal).toBeCloseTo(49.13, 2); // head $16.32 + FSx $26.83 + NAT $1.08 + S3 $4.91
    expect(e.runCosts.filter((l) => l.label.startsWith('Capacity Block'))).toHaveLength(1);
    expect(e.runTotal.high - e.runTotal.low).toBeCloseTo(
      150.31 + 247.08 + 9.95 + 45.19 - (120.19 + 197.56 + 7.95 + 36.13),
      1,
    );
    expect(e.assumptions.find((a) => a.id === 'day')?.text).toContain(
      "without the Capacity Block's nodes: the block is paid once, up front, when it is bought",
    );
  });

  test('capacity-block without a price: the on-demand figure as a reference, and how to find the price', () => {
    const e = estimateRun(defaultConfig(BLOCK));
    expect(trainium(e).usd.high).toBeCloseTo(16 * 11 * 24 * TRN1, 6);
    const text = formatPlan(e).replace(/\s+/g, ' ');
    expect(text).toContain('a reference only');
    expect(text).toContain(
      'aws ec2 describe-capacity-block-offerings --instance-type trn1.32xlarge --instance-count 16 --capacity-duration-hours 264',
    );
  });

  test('capacity-block durations and instance counts EC2 sells: whole days to 14, whole weeks to 182; any count to 64', () => {
    expect([1, 24, 24.5, 14 * 24, 14 * 24 + 1, 22 * 24, 182 * 24].map(capacityBlockDays)).toEqual([
      1, 1, 2, 14, 21, 28, 182,
    ]);
    expect(capacityBlockDays(182 * 24 + 1)).toBeUndefined();
    expect([1, 3, 12, 16, 33, 64].map(capacityBlockInstances)).toEqual([1, 3, 12, 16, 33, 64]);
    expect(capacityBlockInstances(65)).toBeUndefined();
  });

  test('capacity-block of 12 nodes: a block of 12, no warning; above 64 nodes, a warning', () => {
    const e = estimateRun(defaultConfig({ ...BLOCK, nodeCount: 12, globalBatchSize: 1536 }));
    expect(e.capacity.block?.instances).toBe(12);
    expect(trainium(e).label).toBe(`Capacity Block (12 × trn1.32xlarge, ${e.capacity.block?.days} days)`);
    expect(warningsOf(e, 'Capacity Block')).toEqual([]);
    const huge = estimateRun(defaultConfig({ ...BLOCK, nodeCount: 80, globalBatchSize: 2560 }));
    expect(warningsOf(huge, 'Capacity Block')).toEqual([
      'Capacity Block: nodeCount 80 is more than a block holds (64 instances, and capacityReservationId names one block): set nodeCount to 64 or fewer',
    ]);
  });

  test('spot: the work an interruption loses, and the interruptions a day at which Spot costs as much as on-demand', () => {
    const e = estimateRun(defaultConfig({ capacityType: 'spot', capacityPricePerNodeHour: 9.9 }));
    const save = 98e9 / (500e6 * (2400 / 1024)) / 3600; // hours of a save, and of a load
    const interval = 500 * (SLOW_TRAINING_HOURS / 31_472) + save; // 3.535 h
    const restart = (5 + 5) / 60 + save; // a job's start, the launch, loading the checkpoint
    const lost = interval / 2 + restart; // 1.957 h
    expect(e.capacity.spot?.checkpointIntervalHours).toBeCloseTo(interval, 9);
    expect(e.capacity.spot?.lostHoursPerInterruption).toBeCloseTo(lost, 9);
    expect(e.capacity.spot?.breakEvenPerDay).toBeCloseTo((24 * (1 - 9.9 / ON_DEMAND)) / lost, 9); // 7.36
    expect(trainium(e).usd.high).toBeCloseTo(16 * SLOW_TRAINING_HOURS * 9.9, 6);
    expect(formatPlan(e).replace(/\s+/g, ' ')).toContain('Spot costs as much as on-demand at 7.4 interruptions a day');
  });

  test('spot without a price: on-demand as the upper bound, and no break-even', () => {
    const e = estimateRun(defaultConfig({ capacityType: 'spot' }));
    expect(e.capacity.spot?.breakEvenPerDay).toBeUndefined();
    expect(trainium(e).usd.high).toBeCloseTo(16 * SLOW_TRAINING_HOURS * ON_DEMAND, 6);
    const text = formatPlan(e).replace(/\s+/g, ' ');
    expect(text).toContain('an upper bound');
    expect(text).toContain('the break-even rate of interruptions is unknown until you set capacityPricePerNodeHour');
  });

  test.each([
    ['on-demand', {}],
    ['reservation', { capacityType: 'reservation', capacityReservationId: 'cr-0123456789abcdef0' }],
    ['capacity-block', BLOCK],
    ['spot', { capacityType: 'spot', capacityPricePerNodeHour: 9.9 }],
  ] as const)('%s: every line within the width, every figure resting on assumptions that exist', (_kind, overrides) => {
    const e = estimateRun(defaultConfig(overrides));
    for (const l of formatPlan(e).split('\n')) expect(l.length).toBeLessThanOrEqual(118);
    const ids = new Set(e.assumptions.map((a) => a.id));
    for (const c of [...e.runCosts, ...e.daily, ...e.monthly]) for (const id of c.basis) expect(ids).toContain(id);
  });
});
