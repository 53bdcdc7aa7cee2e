import { checkManifest, ManifestFacts } from '../../lib/training/manifest';
import { COMPILE_STEPS, dataParallelDegree, planRun, PlanInput, resolveSettings, stepsFor, trainingDefaults } from '../../lib/training/plan';
import { InvalidRequestError, Overrides, TrainingDefaults } from '../../lib/training/requests';
import { ATTEMPT, CHECKPOINTS, configWith, DATASETS, defaultSubmitRequest, manifest, SECRET_ARN } from './support';

const DEFAULTS: TrainingDefaults = trainingDefaults(configWith());
const LOCATIONS = { datasetsBucket: DATASETS, checkpointsBucket: CHECKPOINTS, hfTokenSecretArn: SECRET_ARN };

function facts(rows: { trainRows?: number; domainRows?: number; generalRows?: number } = {}, run = 'r1'): ManifestFacts {
  return checkManifest(JSON.stringify(manifest(run, rows)), { run, datasetsBucket: DATASETS, sequenceLength: 4096 });
}

function plan(input: Partial<PlanInput> & { rows?: number } = {}) {
  const { rows, ...rest } = input;
  return planRun({ run: 'r1', manifest: facts({ trainRows: rows }), defaults: DEFAULTS, locations: LOCATIONS, ...rest });
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidRequestError) return error.problems;
    throw error;
  }
  throw new Error('expected an InvalidRequestError');
}

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
    });
    expect(COMPILE_STEPS).toBe(10);
  });

  test('follow the configuration', () => {
    const other = trainingDefaults(configWith({ nodeCount: 4, tensorParallelDegree: 32, globalBatchSize: 64, epochs: 0.5, learningRate: 3e-4 }));
    expect(other).toMatchObject({ nodes: 4, tensorParallel: 32, globalBatch: 64, epochs: 0.5, learningRate: 3e-4 });
  });
});

describe('the request of the default plan', () => {
  test('is the contract’s object, in the contract’s order, with every value worked out', () => {
    const { request, summary, warnings } = plan({ rows: 1_000_000 });
    // ceil(1,000,000 rows × 3 epochs ÷ 2,048) = ceil(1,464.84) = 1,465 steps.
    expect(request).toEqual(defaultSubmitRequest(1465));
    expect(Object.keys(request)).toEqual([
      'version', 'run', 'nodes', 'tensorParallel', 'sequenceLength', 'globalBatch', 'microBatch', 'steps', 'warmupSteps',
      'learningRate', 'minLearningRate', 'checkpointEvery', 'checkpointsKept', 'compileSteps', 'trainPath', 'evalPaths',
      'baseModel', 'hfTokenSecretArn', 'exportS3Uri', 'reportS3Uri', 'neuronRelease', 'partition',
    ]);
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
    });
    expect(warnings).toEqual([]);
  });

  test('no general held-out rows: evalPaths.general is null', () => {
    const none = planRun({ run: 'r1', manifest: facts({ generalRows: 0 }), defaults: DEFAULTS, locations: LOCATIONS });
    expect(none.request.evalPaths).toEqual({ domain: `/fsx/datasets/r1/${ATTEMPT}/eval_domain`, general: null });
    const withoutSet = manifest('r1');
    delete (withoutSet.sets as Partial<typeof withoutSet.sets>).eval_general;
    const absent = checkManifest(JSON.stringify(withoutSet), { run: 'r1', datasetsBucket: DATASETS, sequenceLength: 4096 });
    expect(planRun({ run: 'r1', manifest: absent, defaults: DEFAULTS, locations: LOCATIONS }).request.evalPaths.general).toBeNull();
  });

  test('outputs go to the checkpoints bucket under exports/<run>/ and reports/<run>/', () => {
    const other = planRun({ run: 'pubmed-v2', manifest: facts({}, 'pubmed-v2'), defaults: DEFAULTS, locations: LOCATIONS });
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
    expect(plan({ rows: 2048, overrides: { steps: 4, warmupSteps: 1 } }).request.compileSteps).toBe(4);
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
    expect(small.request).toMatchObject({ nodes: 4, tensorParallel: 8, globalBatch: 512, microBatch: 2, steps: Math.ceil(300_000 / 512) });
    const tp32 = plan({ rows: 100_000, overrides: { nodes: 1, tensorParallel: 32, globalBatch: 64 } });
    expect(tp32.summary).toMatchObject({ dataParallel: 1, gradientAccumulation: 64 });
  });

  test('a global batch that the data-parallel split cannot divide is refused, naming where each value came from', () => {
    expect(problemsOf(() => resolveSettings(DEFAULTS, { nodes: 3 }))).toEqual([
      'globalBatch = 2048 (default): not a multiple of 12 = data-parallel degree 12 (3 nodes × 32 cores ÷ TP 8) × microBatch 1. Accepted: a positive multiple of the data-parallel degree × microBatchSize',
    ]);
    expect(problemsOf(() => resolveSettings(DEFAULTS, { microBatch: 3 }))[0]).toMatch(/^globalBatch = 2048 \(default\): not a multiple of 192 = /);
    expect(problemsOf(() => resolveSettings(DEFAULTS, { globalBatch: 1000 }))[0]).toMatch(/^globalBatch = 1000 \(override\): not a multiple of 64 = /);
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
    expect(plan({ rows: 100_000, overrides: { learningRate: 3e-4 } }).request).toMatchObject({ learningRate: 3e-4, minLearningRate: 3e-5 });
    expect(plan({ rows: 100_000, overrides: { minLearningRate: 1e-6 } }).request.minLearningRate).toBe(1e-6);
    expect(problemsOf(() => resolveSettings(DEFAULTS, { minLearningRate: 1e-3 }))).toEqual([
      'minLearningRate = 0.001 (override): not below learningRate 0.00015 (default), from which it decays. Accepted: a number from 0, below the learning rate (default: the learning rate ÷ 10)',
    ]);
    expect(problemsOf(() => resolveSettings(DEFAULTS, { minLearningRate: 0.00015 }))[0]).toMatch(/^minLearningRate = 0.00015 \(override\): not below/);
    expect(plan({ rows: 100_000, overrides: { minLearningRate: 0 } }).request.minLearningRate).toBe(0);
  });

  test('the compile stage stays below checkpointEvery, so that it writes no checkpoint; checkpointEvery 1 is refused', () => {
    expect(plan({ rows: 100_000, overrides: { checkpointEvery: 5 } }).request).toMatchObject({ checkpointEvery: 5, compileSteps: 4 });
    expect(plan({ rows: 100_000, overrides: { checkpointEvery: 11 } }).request.compileSteps).toBe(10);
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
    expect(plan({ rows: 2048, overrides: { epochs: 1, warmupSteps: 0 } }).request).toMatchObject({ steps: 1, warmupSteps: 0 });
  });

  test('steps and epochs together are refused; every problem is reported at once', () => {
    const problems = problemsOf(() => resolveSettings(DEFAULTS, { nodes: 32, globalBatch: 100, minLearningRate: 0.005, steps: 10, epochs: 2 }));
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^nodes = 32 \(override\)/);
    expect(problems[1]).toMatch(/^globalBatch = 100 \(override\)/);
    expect(problems[2]).toMatch(/^minLearningRate = 0.005 \(override\)/);
    expect(problems[3]).toBe('steps = 10 and epochs = 2 (overrides): give one of them, not both');
  });

  test('warnings: a training set smaller than a global batch; checkpoints rarer than the run is long', () => {
    const { warnings } = plan({ rows: 1000, overrides: { steps: 3, warmupSteps: 1 } });
    expect(warnings).toEqual([
      'the training set (1000 rows) is smaller than one global batch (2048): each step repeats rows',
      "checkpointEvery 500 is more than the run's 3 steps: only the final checkpoint is written",
    ]);
  });

  test('checkpoint settings come from the configuration or the overrides', () => {
    const overrides: Overrides = { checkpointEvery: 50, checkpointsKept: 7 };
    expect(plan({ rows: 100_000, overrides }).request).toMatchObject({ checkpointEvery: 50, checkpointsKept: 7 });
  });
});
