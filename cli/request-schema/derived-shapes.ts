import { deriveRun, requestDerived } from '../../lib/run/derive';
import { TENSOR_PARALLEL_DEGREES } from '../../lib/run/hardware';
import { parallelismProblems, scheduleProblems, stepsProblems } from '../../lib/run/rules';
import { REQUEST_NAMES, RunSettings } from '../../lib/run/settings';

/**
 * cluster/training/tests/fixtures/derived-shapes.json: the request's `derived` (lib/run/derive.ts) for many run
 * shapes. The cluster's tests submit runs far smaller than the seed, and compute their `derived` with a small oracle
 * (training_sandbox.py derive()); a pytest holds that oracle to these entries, so the rules stay written once here.
 */

export const DERIVED_SHAPES_FILE = 'cluster/training/tests/fixtures/derived-shapes.json';

const ROWS = 1 << 20;
const BASE: RunSettings & { steps: number } = {
  nodes: 1,
  tensorParallel: 8,
  sequenceLength: 4096,
  globalBatch: 16,
  microBatch: 1,
  steps: 6,
  warmupSteps: 1,
  learningRate: 0.00015,
  minLearningRate: 0.000015,
  epochs: 1,
  checkpointEvery: 2,
  checkpointsKept: 2,
};

function shapes(): Array<Partial<RunSettings>> {
  const grid: Array<Partial<RunSettings>> = [];
  for (const nodes of [1, 2, 4, 16, 64])
    for (const tensorParallel of TENSOR_PARALLEL_DEGREES)
      for (const microBatch of [1, 2])
        for (const globalBatch of [16, 32, 2048]) grid.push({ nodes, tensorParallel, microBatch, globalBatch });
  const schedules = [
    [1, 0],
    [1, 1],
    [4, 1],
    [5, 2],
    [6, 1],
    [7, 1],
    [8, 1],
    [1000, 100],
    [31472, 100],
    [10, 10],
  ];
  const rates = [
    [0.00015, 0.000015],
    [0.00015, 0.00001],
    [0.00015, 0],
    [0.0003, 0.0001],
    [0.0001, 0.00003],
  ];
  for (const [steps, warmupSteps] of schedules)
    for (const [learningRate, minLearningRate] of rates)
      grid.push({ steps, warmupSteps, learningRate, minLearningRate });
  // The shapes the cluster's tests submit (training_sandbox.py and test_training_request.py).
  grid.push(
    { nodes: 4 },
    { nodes: 2, globalBatch: 32 },
    { nodes: 2, globalBatch: 32, tensorParallel: 4, steps: 8, minLearningRate: 0.00001 },
    { nodes: 16, globalBatch: 2048, steps: 1000, warmupSteps: 100 },
  );
  return grid;
}

/** One entry per shape the rules accept: the request's settings and its `derived`. */
export function derivedShapes() {
  const context = { names: REQUEST_NAMES, sequenceSplitBlames: 'tensorParallel' as const };
  return shapes()
    .map((shape) => ({ ...BASE, ...shape }) as RunSettings & { steps: number })
    .filter((s) => {
      const problems = [...parallelismProblems(s, context), ...scheduleProblems(s, context)];
      return [...problems, ...stepsProblems(s, s.steps, ROWS)].length === 0;
    })
    .map((s) => {
      const { nodes, tensorParallel, sequenceLength, globalBatch, microBatch, steps } = s;
      const { warmupSteps, learningRate, minLearningRate } = s;
      const run = deriveRun({ settings: s, rows: ROWS, fsxThroughputPerTiB: 125, fsxStorageGiB: 1200, evalSets: 2 });
      return {
        settings: {
          nodes,
          tensorParallel,
          sequenceLength,
          globalBatch,
          microBatch,
          steps,
          warmupSteps,
          learningRate,
          minLearningRate,
        },
        derived: requestDerived(run),
      };
    });
}

/** The file's text: one entry a line. */
export function derivedShapesFile(): string {
  return `[\n${derivedShapes()
    .map((entry) => JSON.stringify(entry))
    .join(',\n')}\n]\n`;
}
