import { estimateRun } from '../../lib/plan/estimate';
import {
  deriveTimeLimits,
  describeLimits,
  describeStageTime,
  formatLimit,
  TIME_LIMIT_MARGIN,
  TimeLimitInput,
} from '../../lib/plan/time-limits';
import { MAX_TIME_LIMIT_MINUTES } from '../../lib/training/contract';
import { defaultConfig } from '../support/app';
import { EARLIER_FSX } from './earlier-fsx';

/** The seed configuration's run (cdk.json): 88 B tokens, 3 epochs, 16 nodes, on the earlier FSx, 1,200 GiB at 250 MB/s/TiB. */
const SEED: TimeLimitInput = {
  nodes: 16,
  steps: 31_472,
  globalBatch: 2048,
  sequenceLength: 4096,
  checkpointEvery: 500,
  checkpointsKept: 3,
  fsxThroughputPerTiB: 250,
  fsxStorageGiB: 1200,
  evalSets: 2,
};

// The figures the limits rest on, written out.
const FSX = (250e6 * 1200) / 1024; // 292,968,750 bytes/s
const CHECKPOINT_MIN = 98e9 / FSX / 60; // 7e9 parameters × 14 bytes: 5.575 min a save or a load
const MODEL_MIN = 13.5e9 / FSX / 60; // one pass of the 13.5 GB model through FSx: 0.768 min
const CONVERSION = 4 * MODEL_MIN + 15; // 18.07 min
const SLOW = (81 * 4096) / 16; // the published low figure: 20,736 tokens/s per node
const EVAL_MODEL = (2 * 32 * 4096) / 100 / 60 + MODEL_MIN; // 2 sets × 32 rows of 4,096 tokens at 100 tokens/s, and loading: 44.46 min

describe('the time limits of the seed run', () => {
  const limits = deriveTimeLimits(SEED);

  test('every stage, worked out by hand', () => {
    const prepare = (13.5e9 / 25e6 / 60 + CONVERSION) * 1.5 + 5; // (9 + 18.07) × 1.5 + 5 = 45.6
    const compile = 120 * 1.5 + 5 + 5; // 190
    const trainingMinutes = (31_472 * 2048 * 4096) / (16 * SLOW) / 60; // 13,262.3 min = 221.0 h
    const train = (trainingMinutes + 63 * CHECKPOINT_MIN) * 1.5 + 5 + 5 + CHECKPOINT_MIN; // 20,435.8
    const exportMinutes = 3 * (CONVERSION + 13.5e9 / 50e6 / 60) * 1.5 + 5; // 106.6
    const evaluate = 4 * EVAL_MODEL * 1.5 + 5; // 271.8
    expect(limits.stages.prepare.exactMinutes).toBeCloseTo(prepare, 6);
    expect(limits.stages.compile.exactMinutes).toBeCloseTo(compile, 6);
    expect(limits.stages.train.exactMinutes).toBeCloseTo(train, 6);
    expect(limits.stages.export.exactMinutes).toBeCloseTo(exportMinutes, 6);
    expect(limits.stages.evaluate.exactMinutes).toBeCloseTo(evaluate, 6);
    expect(limits.limits).toEqual({ prepare: 46, compile: 190, train: 20_436, export: 107, evaluate: 272 });
    expect(limits.basis).toMatchObject({
      tokensPerSecondPerNode: 20_736,
      savedCheckpoints: 63,
      exportedCheckpoints: 3,
      evaluatedModels: 4,
    });
    expect(limits.basis.trainingHours).toBeCloseTo(221.04, 2);
    expect(TIME_LIMIT_MARGIN).toBe(1.5);
  });

  test('the plan of the seed configuration carries the same limits', () => {
    expect(estimateRun(defaultConfig(EARLIER_FSX)).timeLimits.limits).toEqual(limits.limits);
  });

  test('in words: one line, and each stage’s derivation', () => {
    expect(describeLimits(limits.limits)).toBe(
      'prepare 46 min, compile 190 min (3.2 h), train 20,436 min (14.2 days), export 107 min (1.8 h), evaluate 272 min (4.5 h)',
    );
    expect(describeStageTime(limits.stages.prepare)).toBe(
      '(base model download 9.0 + conversion to shards 18.1) × 1.5 + job start 5.0 = 45.6 min, rounded up to 46',
    );
    expect(describeStageTime(limits.stages.train)).toMatch(
      /^\(training at the slower throughput 13,262\.3 \+ 63 checkpoint saves 351\.2\) × 1\.5 \+ job start 5\.0 \+ .* = 20,435\.8 min, rounded up to 20,436$/,
    );
  });
});

describe('what the limits follow', () => {
  const base = deriveTimeLimits(SEED).limits;

  test('a measured throughput replaces the published low figure', () => {
    const faster = deriveTimeLimits({ ...SEED, measuredTokensPerSecondPerNode: 2 * SLOW });
    expect(faster.basis.tokensPerSecondPerNode).toBe(2 * SLOW);
    expect(faster.stages.train.exactMinutes).toBeCloseTo(
      ((31_472 * 2048 * 4096) / (16 * 2 * SLOW) / 60 + 63 * CHECKPOINT_MIN) * 1.5 + 10 + CHECKPOINT_MIN,
      6,
    );
  });

  test('a faster FSx shortens saves, conversions and loads', () => {
    const fast = deriveTimeLimits({ ...SEED, fsxThroughputPerTiB: 1000, fsxStorageGiB: 2400 }).limits;
    expect(fast.train).toBeLessThan(base.train);
    expect(fast.prepare).toBeLessThan(base.prepare);
    expect(fast.compile).toBe(base.compile);
  });

  test('a run shorter than checkpointEvery saves one checkpoint: one export, two models evaluated', () => {
    const short = deriveTimeLimits({ ...SEED, steps: 147 });
    expect(short.basis).toMatchObject({ savedCheckpoints: 1, exportedCheckpoints: 1, evaluatedModels: 2 });
    expect(short.limits).toEqual({ prepare: 46, compile: 190, train: 117, export: 39, evaluate: 139 });
  });

  test('one held-out set: about half the evaluation', () => {
    const one = deriveTimeLimits({ ...SEED, evalSets: 1 });
    expect(one.stages.evaluate.exactMinutes).toBeCloseTo(4 * ((32 * 4096) / 100 / 60 + MODEL_MIN) * 1.5 + 5, 6);
  });

  test('whole minutes from 1 to 43,200; beyond, capped and said so', () => {
    for (const stage of Object.values(base))
      expect(Number.isInteger(stage) && stage >= 1 && stage <= MAX_TIME_LIMIT_MINUTES).toBe(true);
    const huge = deriveTimeLimits({ ...SEED, nodes: 1 });
    expect(huge.limits.train).toBe(43_200);
    expect(huge.stages.train.capped).toBe(true);
    expect(huge.stages.train.exactMinutes).toBeGreaterThan(43_200);
    expect(describeStageTime(huge.stages.train)).toMatch(/, capped at 43,200 \(30 days\)$/);
    expect(deriveTimeLimits(SEED).stages.train.capped).toBe(false);
  });

  test('formatting: minutes, with hours or days when long', () => {
    expect(formatLimit(46)).toBe('46 min');
    expect(formatLimit(90)).toBe('90 min (1.5 h)');
    expect(formatLimit(43_200)).toBe('43,200 min (30.0 days)');
  });
});
