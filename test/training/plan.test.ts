import { checkManifest, ManifestFacts } from '../../lib/training/manifest';
import { dataParallelDegree } from '../../lib/run/parallelism';
import { COMPILE_STEPS, stepsFor } from '../../lib/run/steps';
import { planRun, PlanInput, resolveSettings, trainingDefaults } from '../../lib/training/plan';
import {
  InvalidRequestError,
  Overrides,
  TRAINING_DEFAULTS_SCHEMA,
  TrainingDefaults,
} from '../../lib/training/requests';
import { ATTEMPT, CHECKPOINTS, configWith, DATASETS, defaultSubmitRequest, manifest, SECRET_ARN } from './support';
import { thrownBy } from '../support/errors';

const DEFAULTS: TrainingDefaults = trainingDefaults(configWith());
const LOCATIONS = { datasetsBucket: DATASETS, checkpointsBucket: CHECKPOINTS, hfTokenSecretArn: SECRET_ARN };

function facts(
  rows: { trainRows?: number; domainRows?: number; generalRows?: number } = {},
  run = 'r1',
): ManifestFacts {
  return checkManifest(JSON.stringify(manifest(run, rows)), { run, datasetsBucket: DATASETS, sequenceLength: 4096 });
}

function plan(input: Partial<PlanInput> & { rows?: number } = {}) {
  const { rows, ...rest } = input;
  return planRun({
    run: 'r1',
    manifest: facts({ trainRows: rows }),
    defaults: DEFAULTS,
    locations: LOCATIONS,
    ...rest,
  });
}

const problemsOf = (fn: () => unknown): readonly string[] => thrownBy(fn, InvalidRequestError).problems;

describe('the defaults the stack gives the function', () => {
  test('come from the configuration keys, with the queue as Slurm partition and a short compile stage', () => {
    expect(DEFAULTS).toEqual({
      nodes: 16,
      tensorParallel: 8,
      sequenceLength: 4096,
      globalBatch: 2048,
      microBatch: 1,
      learningRate: 0.00015,
      warmupSteps: 100,
      epochs: 3,
      checkpointEvery: 500,
      checkpointsKept: 3,
      compileSteps: COMPILE_STEPS,
      baseModel: 'meta-llama/Llama-2-7b-hf',
      neuronRelease: '2.28.1',
      partition: 'trn',
      maxTrainRestarts: 3,
      fsxThroughputPerTiB: 500,
      fsxStorageGiB: 2400,
      capacityType: 'on-demand',
    });
    expect(DEFAULTS).not.toHaveProperty('measuredTokensPerSecondPerNode');
    expect(COMPILE_STEPS).toBe(10);
  });

  test('carry maxTrainRestarts and what the time limits rest on (a measured throughput when there is one)', () => {
    const other = trainingDefaults(
      configWith({
        maxTrainRestarts: 0,
        measuredTokensPerSecondPerNode: 23_500,
        fsxStorageGiB: 2400,
        fsxThroughputPerTiB: 500,
      }),
    );
    expect(other).toMatchObject({
      maxTrainRestarts: 0,
      measuredTokensPerSecondPerNode: 23_500,
      fsxStorageGiB: 2400,
      fsxThroughputPerTiB: 500,
    });
    expect(TRAINING_DEFAULTS_SCHEMA.safeParse(other).success).toBe(true);
    expect(TRAINING_DEFAULTS_SCHEMA.safeParse({ ...other, maxTrainRestarts: 11 }).success).toBe(false);
    expect(TRAINING_DEFAULTS_SCHEMA.safeParse({ ...other, maxTrainRestarts: 1.5 }).success).toBe(false);
  });

  test('follow the configuration', () => {
    const other = trainingDefaults(
      configWith({ nodeCount: 4, tensorParallelDegree: 32, globalBatchSize: 64, epochs: 0.5, learningRate: 3e-4 }),
    );
    expect(other).toMatchObject({ nodes: 4, tensorParallel: 32, globalBatch: 64, epochs: 0.5, learningRate: 3e-4 });
  });
});

describe('the request of the default plan', () => {
  test('is the contract’s object, in the contract’s order, with every value worked out', () => {
    const { request, summary, warnings } = plan({ rows: 1_000_000 });
    // ceil(1,000,000 rows × 3 epochs ÷ 2,048) = ceil(1,464.84) = 1,465 steps.
    expect(request).toEqual(defaultSubmitRequest(1465));
    expect(Object.keys(request)).toEqual([
      'version',
      'run',
      'nodes',
      'tensorParallel',
      'sequenceLength',
      'globalBatch',
      'microBatch',
      'steps',
      'warmupSteps',
      'learningRate',
      'minLearningRate',
      'checkpointEvery',
      'checkpointsKept',
      'compileSteps',
      'trainPath',
      'evalPaths',
      'baseModel',
      'hfTokenSecretArn',
      'exportS3Uri',
      'reportS3Uri',
      'neuronRelease',
      'partition',
      'maxTrainRestarts',
      'timeLimits',
      'resume',
      'derived',
    ]);
    expect(Object.keys(request.timeLimits)).toEqual(['prepare', 'compile', 'train', 'export', 'evaluate']);
    expect(request.minLearningRate).toBeCloseTo(0.000015, 12);
    expect(summary).toEqual({
      dataParallel: 64,
      gradientAccumulation: 32,
      trainRows: 1_000_000,
      steps: 1465,
      stepsFrom: 'epochs',
      epochs: (1465 * 2048) / 1_000_000,
      tokensPerStep: 2048 * 4096,
      trainTokens: 1465 * 2048 * 4096,
      evalDomainRows: 120,
      evalGeneralRows: 30,
      attempt: ATTEMPT,
      overrides: {},
      savedSteps: [500, 1000, 1465],
    });
    expect(warnings).toEqual([]);
  });

  test('no general held-out rows: evalPaths.general is null', () => {
    const none = planRun({ run: 'r1', manifest: facts({ generalRows: 0 }), defaults: DEFAULTS, locations: LOCATIONS });
    expect(none.request.evalPaths).toEqual({ domain: `/fsx/datasets/r1/${ATTEMPT}/eval_domain`, general: null });
    const withoutSet = manifest('r1');
    delete (withoutSet.sets as Partial<typeof withoutSet.sets>).eval_general;
    const absent = checkManifest(JSON.stringify(withoutSet), {
      run: 'r1',
      datasetsBucket: DATASETS,
      sequenceLength: 4096,
    });
    expect(
      planRun({ run: 'r1', manifest: absent, defaults: DEFAULTS, locations: LOCATIONS }).request.evalPaths.general,
    ).toBeNull();
  });

  test('outputs go to the checkpoints bucket under exports/<run>/ and reports/<run>/', () => {
    const other = planRun({
      run: 'pubmed-v2',
      manifest: facts({}, 'pubmed-v2'),
      defaults: DEFAULTS,
      locations: LOCATIONS,
    });
    expect(other.request.exportS3Uri).toBe(`s3://${CHECKPOINTS}/exports/pubmed-v2/`);
    expect(other.request.reportS3Uri).toBe(`s3://${CHECKPOINTS}/reports/pubmed-v2/`);
    expect(other.request.trainPath).toBe(`/fsx/datasets/pubmed-v2/${ATTEMPT}/train`);
  });
});

describe('steps from rows and epochs', () => {
  test.each([
    // rows, epochs, global batch, steps
    [2048, 1, 2048, 1],
    [2049, 1, 2048, 2],
    [4096, 3, 2048, 6],
    [100_000, 3, 2048, 147],
    [1, 1, 2048, 1],
    [88_000_000_000 / 4096, 1, 2048, 10_491], // the seed's 88 B tokens: 21,484,375 rows → ceil(10,490.4)
  ])('%d rows × %d epochs ÷ %d = %d steps', (rows, epochs, batch, steps) => {
    expect(stepsFor(rows, epochs, batch)).toBe(steps);
  });

  test.each([
    [1000, 0.1, 100, 1], // 1000 × 0.1 = 100.00000000000001 in floating point: not a second step
    [10_000, 0.25, 1000, 3], // 2.5 → 3
    [3000, 1.5, 2048, 3], // 4500 ÷ 2048 = 2.2 → 3
    [30, 0.3, 9, 1], // 9.000000000000002 ÷ 9
    [100_000, 0.7, 2048, 35], // 70,000 ÷ 2048 = 34.2 → 35
    [2048, 2.5, 2048, 3],
  ])('fractional epochs: ceil(%d rows × %d ÷ %d) = %d', (rows, epochs, batch, steps) => {
    expect(stepsFor(rows, epochs, batch)).toBe(steps);
  });

  test('the plan uses the configured epochs, or the epochs override', () => {
    expect(plan({ rows: 100_000 }).request.steps).toBe(147);
    expect(plan({ rows: 100_000, overrides: { epochs: 1, warmupSteps: 10 } }).request.steps).toBe(49);
    expect(plan({ rows: 100_000, overrides: { epochs: 0.5, warmupSteps: 10 } }).request.steps).toBe(25);
    const fractional = plan({ rows: 100_000, overrides: { epochs: 0.5, warmupSteps: 10 } }).summary;
    expect(fractional.epochs).toBeCloseTo((25 * 2048) / 100_000, 12);
    expect(fractional.overrides).toEqual({ warmupSteps: 10, epochs: 0.5 });
  });

  test('a steps override replaces the epochs', () => {
    const { request, summary } = plan({ rows: 100_000, overrides: { steps: 20, warmupSteps: 2 } });
    expect(request.steps).toBe(20);
    expect(summary.stepsFrom).toBe('steps');
    expect(request.compileSteps).toBe(10);
  });

  test('the compile stage never runs more steps than the run', () => {
    expect(plan({ rows: 2048, overrides: { steps: 3, warmupSteps: 1 } }).request.compileSteps).toBe(3);
  });
});

describe('parallelism and the global batch', () => {
  test('data parallel = nodes × 32 ÷ TP; accumulation = global batch ÷ (DP × micro-batch)', () => {
    expect(dataParallelDegree(16, 8)).toBe(64);
    expect(dataParallelDegree(1, 32)).toBe(1);
    expect(dataParallelDegree(4, 8)).toBe(16);
    const small = plan({ rows: 100_000, overrides: { nodes: 4, globalBatch: 512, microBatch: 2 } });
    expect(small.summary.dataParallel).toBe(16);
    expect(small.summary.gradientAccumulation).toBe(16);
    expect(small.request).toMatchObject({
      nodes: 4,
      tensorParallel: 8,
      globalBatch: 512,
      microBatch: 2,
      steps: Math.ceil(300_000 / 512),
    });
    // 4,688 steps of 64 rows: a checkpoint every 2,000 steps keeps to the 3 checkpoints a run may save here.
    const tp32 = plan({
      rows: 100_000,
      overrides: { nodes: 1, tensorParallel: 32, globalBatch: 64, checkpointEvery: 2000 },
    });
    expect(tp32.summary).toMatchObject({ dataParallel: 1, gradientAccumulation: 64 });
  });

  test('a global batch that the data-parallel split cannot divide is refused, naming where each value came from', () => {
    expect(problemsOf(() => resolveSettings(DEFAULTS, { nodes: 3 }))).toEqual([
      "globalBatch = 2048 (default): not a multiple of 12 = data-parallel degree 12 (3 nodes × 32 cores ÷ TP 8) × microBatch 1. Accepted: a positive multiple of the data-parallel degree × microBatchSize, at most globalBatchSize (the deployed configuration's)",
    ]);
    expect(problemsOf(() => resolveSettings(DEFAULTS, { microBatch: 3 }))[0]).toMatch(
      /^globalBatch = 2048 \(default\): not a multiple of 192 = /,
    );
    expect(problemsOf(() => resolveSettings(DEFAULTS, { globalBatch: 1000 }))[0]).toMatch(
      /^globalBatch = 1000 \(override\): not a multiple of 64 = /,
    );
  });

  test('more nodes than the queue has, a TP that does not divide the sequence length: refused', () => {
    expect(problemsOf(() => resolveSettings(DEFAULTS, { nodes: 17 }))).toContain(
      "nodes = 17 (override): more than the 16 nodes of the cluster's queue (nodeCount). Accepted: an integer from 1 to 16",
    );
    const odd = { ...DEFAULTS, sequenceLength: 1000, tensorParallel: 8 };
    expect(problemsOf(() => resolveSettings(odd, { tensorParallel: 16 }))[0]).toMatch(
      /^tensorParallel = 16 \(override\): does not divide sequenceLength 1000 /,
    );
  });
});

describe('the schedule', () => {
  test('minLearningRate is the learning rate ÷ 10 unless given; never above the learning rate', () => {
    expect(plan({ rows: 100_000, overrides: { learningRate: 3e-4 } }).request).toMatchObject({
      learningRate: 3e-4,
      minLearningRate: 3e-5,
    });
    expect(plan({ rows: 100_000, overrides: { minLearningRate: 1e-6 } }).request.minLearningRate).toBe(1e-6);
    expect(problemsOf(() => resolveSettings(DEFAULTS, { minLearningRate: 1e-3 }))).toEqual([
      'minLearningRate = 0.001 (override): not below learningRate 0.00015 (default), from which it decays. Accepted: a number from 0, below the learning rate (default: the learning rate ÷ 10)',
    ]);
    expect(problemsOf(() => resolveSettings(DEFAULTS, { minLearningRate: 0.00015 }))[0]).toMatch(
      /^minLearningRate = 0.00015 \(override\): not below/,
    );
    expect(plan({ rows: 100_000, overrides: { minLearningRate: 0 } }).request.minLearningRate).toBe(0);
  });

  test('the compile stage stays below checkpointEvery, so that it writes no checkpoint; checkpointEvery 1 is refused', () => {
    // Runs short enough to save at most the 3 checkpoints a run may save here (test/training/bounds.test.ts).
    expect(plan({ rows: 100_000, overrides: { checkpointEvery: 5, steps: 15, warmupSteps: 1 } }).request).toMatchObject(
      {
        checkpointEvery: 5,
        compileSteps: 4,
      },
    );
    expect(
      plan({ rows: 100_000, overrides: { checkpointEvery: 11, steps: 33, warmupSteps: 1 } }).request.compileSteps,
    ).toBe(10);
    expect(problemsOf(() => resolveSettings(DEFAULTS, { checkpointEvery: 1 }))).toEqual([
      'checkpointEvery = 1 (override): the compile stage runs at least one step and stays below checkpointEvery, so that it never writes a checkpoint training would resume from. Accepted: an integer of at least 2',
    ]);
  });

  test('a warm-up that does not end before the run does is refused, with the steps it would need', () => {
    expect(problemsOf(() => plan({ rows: 20_000 }))).toEqual([
      "warmupSteps = 100 (default): not below the run's 30 steps (3 epochs of 20000 rows at a global batch of 2048). Accepted: an integer from 0 to 29",
    ]);
    expect(problemsOf(() => plan({ rows: 20_000, overrides: { steps: 5, warmupSteps: 5 } }))[0]).toMatch(
      /^warmupSteps = 5 \(override\): not below the run's 5 steps \(the steps override\)/,
    );
    expect(plan({ rows: 2048, overrides: { epochs: 1, warmupSteps: 0 } }).request).toMatchObject({
      steps: 1,
      warmupSteps: 0,
    });
  });

  test('steps and epochs together are refused; every problem is reported at once', () => {
    const problems = problemsOf(() =>
      resolveSettings(DEFAULTS, { nodes: 32, globalBatch: 100, minLearningRate: 0.005, steps: 10, epochs: 2 }),
    );
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^nodes = 32 \(override\)/);
    expect(problems[1]).toMatch(/^globalBatch = 100 \(override\)/);
    expect(problems[2]).toMatch(/^minLearningRate = 0.005 \(override\)/);
    expect(problems[3]).toBe('steps = 10 and epochs = 2 (overrides): give one of them, not both');
  });

  test('warnings: a training set smaller than a global batch; a run shorter than checkpointEvery saves one checkpoint, the final one', () => {
    const { warnings, summary } = plan({ rows: 1000, overrides: { steps: 2, warmupSteps: 1 } });
    expect(warnings).toEqual([
      'the training set (1000 rows) is smaller than one global batch (2048): each step repeats rows',
      "checkpointEvery 500 is more than the run's 2 steps: the run saves exactly one checkpoint, the final one (step 2); a failure before it restarts training from the base model",
    ]);
    expect(summary.savedSteps).toEqual([2]);
    // As long as the run: one checkpoint, and nothing to warn about (3 epochs of 400,000 rows are 586 steps).
    const exact = plan({ rows: 400_000, overrides: { steps: 500, warmupSteps: 1 } });
    expect(exact.summary.savedSteps).toEqual([500]);
    expect(exact.warnings).toEqual([]);
  });

  test('checkpoint settings come from the configuration or the overrides', () => {
    const overrides: Overrides = { checkpointEvery: 50, checkpointsKept: 2 };
    expect(plan({ rows: 100_000, overrides }).request).toMatchObject({ checkpointEvery: 50, checkpointsKept: 2 });
  });
});

describe('the request’s new fields', () => {
  test('maxTrainRestarts comes from the configuration; resume is false unless asked', () => {
    expect(plan({ rows: 100_000 }).request).toMatchObject({ maxTrainRestarts: 3, resume: false });
    expect(plan({ rows: 100_000, resume: true }).request.resume).toBe(true);
    const none = trainingDefaults(configWith({ maxTrainRestarts: 0 }));
    expect(
      planRun({ run: 'r1', manifest: facts(), defaults: none, locations: LOCATIONS }).request.maxTrainRestarts,
    ).toBe(0);
  });

  test('time limits follow the run: more steps, a longer train limit; more checkpoints kept, longer export and evaluate', () => {
    const base = plan({ rows: 1_000_000 }).request.timeLimits;
    expect(base).toEqual({ prepare: 43, compile: 190, train: 944, export: 97, evaluate: 269 });
    const longer = plan({ rows: 2_000_000 }).request.timeLimits;
    expect(longer.train).toBeGreaterThan(base.train);
    expect({ ...longer, train: 0 }).toEqual({ ...base, train: 0 });
    const kept = plan({ rows: 1_000_000, overrides: { checkpointsKept: 1 } }).request.timeLimits;
    expect(kept.export).toBeLessThan(base.export);
    expect(kept.evaluate).toBeLessThan(base.evaluate);
    // More nodes: the same tokens in less time.
    expect(
      plan({ rows: 1_000_000, defaults: { ...DEFAULTS, nodes: 32 }, overrides: { nodes: 32, globalBatch: 2048 } })
        .request.timeLimits.train,
    ).toBeLessThan(base.train);
  });

  test('no general held-out set: one set fewer to evaluate', () => {
    const general = planRun({
      run: 'r1',
      manifest: facts({ generalRows: 0 }),
      defaults: DEFAULTS,
      locations: LOCATIONS,
    });
    expect(general.request.timeLimits.evaluate).toBeLessThan(plan({ rows: 100_000 }).request.timeLimits.evaluate);
  });

  test('a measured throughput replaces the published low figure', () => {
    const measured = { ...DEFAULTS, measuredTokensPerSecondPerNode: 20_736 / 2 };
    const slow = planRun({
      run: 'r1',
      manifest: facts({ trainRows: 1_000_000 }),
      defaults: measured,
      locations: LOCATIONS,
    });
    // 617.35 min of training at half the rate: 1,234.7; (1,234.7 + 3 saves × 1.39) × 1.5 + 11.39 = 1,869.7.
    expect(slow.request.timeLimits.train).toBe(1870);
  });

  test('a train stage beyond 30 days is capped at 43,200 minutes, with a warning', () => {
    // 1 node: 16 times the seed's training time per token.
    const { request, warnings } = planRun({
      run: 'r1',
      manifest: facts({ trainRows: 21_484_375 }),
      defaults: { ...DEFAULTS, nodes: 1, globalBatch: 2048 },
      locations: LOCATIONS,
    });
    expect(request.timeLimits.train).toBe(43_200);
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /^the train stage would need about .* more than the longest time limit a request may set \(43,200 min/,
      ),
    );
    expect(warnings.join('\n')).toContain('npm run submit -- --run r1 --resume');
  });
});

describe('memory warnings (the reference Llama 2 7B run: TP 8, micro batch 1, sequence length 4,096)', () => {
  const REFERENCE = 'tp_zero1_llama2_7B_hf_pretrain.sh at tag v2.28.0 of aws-neuron/neuronx-distributed';

  test('the reference settings: no warning', () => {
    expect(plan({ rows: 1_000_000 }).warnings).toEqual([]);
  });

  test('tensor parallel below 8 at 4,096 tokens: unlikely to fit 16 GiB, with both sources', () => {
    const { warnings } = plan({ rows: 1_000_000, overrides: { tensorParallel: 4, globalBatch: 2048 } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^tensorParallel 4 \(below 8\) at sequenceLength 4,096 is unlikely to fit a NeuronCore's 16 GiB of memory: /,
    );
    expect(warnings[0]).toContain('TP_DEGREE=8, MBS=1, SEQ_LEN=4096, GBS=1024');
    expect(warnings[0]).toContain(REFERENCE);
    expect(warnings[0]).toContain('32 GiB of device memory per Trainium chip, 2 NeuronCore-v2 per chip');
  });

  test('micro batch above 1: warned; both at once: one warning naming both', () => {
    expect(plan({ rows: 1_000_000, overrides: { microBatch: 2 } }).warnings[0]).toMatch(
      /^microBatch 2 \(above 1\) is unlikely to fit/,
    );
    const both = plan({ rows: 1_000_000, overrides: { tensorParallel: 2, microBatch: 2, globalBatch: 2048 } }).warnings;
    expect(both).toHaveLength(1);
    expect(both[0]).toMatch(
      /^tensorParallel 2 \(below 8\) at sequenceLength 4,096 and microBatch 2 \(above 1\) are unlikely to fit/,
    );
  });

  test('tensor parallel 16 or 32: no warning; below 8 at a shorter sequence: none either', () => {
    expect(plan({ rows: 1_000_000, overrides: { tensorParallel: 16, globalBatch: 2048 } }).warnings).toEqual([]);
    const short = { ...DEFAULTS, sequenceLength: 2048 };
    const m = checkManifest(JSON.stringify(manifest('r1', { sequenceLength: 2048, trainRows: 1_000_000 })), {
      run: 'r1',
      datasetsBucket: DATASETS,
      sequenceLength: 2048,
    });
    expect(
      planRun({ run: 'r1', manifest: m, defaults: short, overrides: { tensorParallel: 4 }, locations: LOCATIONS })
        .warnings,
    ).toEqual([]);
  });
});
