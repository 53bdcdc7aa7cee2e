import { CptConfig } from '../config/schema';
import { RunDerivation } from '../run/derive';
import { Range, scale } from '../run/range';
import { smallSetWarning } from '../run/rules';
import { PUBLISHED_LLAMA2_7B } from './figures';
import { formatCount } from './numbers';
import { Assumption, Part } from './part';
import { HOURS_PER_MONTH } from './prices';

/** The training of the plan: its steps and tokens (the run's derivation), its throughput and its hours. */
export interface TrainingFigures {
  readonly nodeHours: Range;
  readonly measured: boolean;
}

export function trainingPart(config: CptConfig, run: RunDerivation): Part<TrainingFigures> {
  const nodes = config.nodeCount;
  const seq = config.sequenceLength;
  const globalBatch = config.globalBatchSize;
  const assumptions: Assumption[] = [
    {
      id: 'steps',
      text:
        `data-parallel degree = ${nodes} nodes × ${run.coresPerNode} NeuronCores ÷ TP ${config.tensorParallelDegree} = ${formatCount(run.dataParallel)}; ` +
        `steps = ceil(rows × epochs ÷ globalBatchSize) = ceil(${formatCount(run.rows)} × ${config.epochs} ÷ ${formatCount(globalBatch)}) = ${formatCount(run.steps)}; ` +
        `tokens trained = steps × ${formatCount(globalBatch)} × ${formatCount(seq)}`,
      source: 'lib/run/derive.ts (deriveRun: what the submit function computes)',
    },
  ];
  const measured = config.measuredTokensPerSecondPerNode;
  const perNode = run.tokensPerSecondPerNode;
  if (measured) {
    assumptions.push({
      id: 'throughput',
      text: `${formatCount(measured)} tokens/s per node, measured by you`,
      source: 'configuration key measuredTokensPerSecondPerNode',
    });
  } else {
    const p = PUBLISHED_LLAMA2_7B;
    assumptions.push(
      {
        id: 'throughput',
        text:
          `${formatCount(perNode.low)} to ${formatCount(perNode.high)} tokens/s per node: Neuron's published Llama 2 7B figures, ` +
          `${p.low.sequencesPerSecond} seq/s (SDK ${p.low.sdk}, MFU 30.8%) to ${p.high.sequencesPerSecond} seq/s (SDK ${p.high.sdk}) on ${p.nodes} nodes, ` +
          `TP ${p.tensorParallel}, sequence length ${formatCount(p.sequenceLength)}, global batch ${formatCount(p.globalBatch)}, × ${formatCount(p.sequenceLength)} ÷ ${p.nodes} nodes; ` +
          'the low figure gives the high (conservative) time and cost',
        source: p.source,
      },
      {
        id: 'scaling',
        text:
          `assumption: tokens/s per node does not change with this run's ${nodes} nodes, sequence length ${formatCount(seq)} and global batch ${formatCount(globalBatch)}, ` +
          'nor between trn1 and trn1n (the published table lists both); measure your own and set measuredTokensPerSecondPerNode',
        source: 'assumption',
      },
    );
  }
  assumptions.push(
    {
      id: 'hours',
      text:
        'training time = tokens trained ÷ (nodes × tokens/s per node); the train stage only: the compile stage (neuron_parallel_compile, a few steps on every node), ' +
        'prepare, export and evaluate (one node each), queue waits and restarts after failures are not included: the budget margin is there for them',
      source: 'assumption',
    },
    {
      id: 'month',
      text: `a month is ${HOURS_PER_MONTH} hours; costs while training are the monthly ones × training hours ÷ ${HOURS_PER_MONTH}`,
      source: 'AWS pricing convention (365 × 24 ÷ 12 hours)',
    },
  );
  return {
    figures: { nodeHours: scale(run.trainingHours, nodes), measured: measured !== undefined },
    assumptions,
    warnings: smallSetWarning(run.rows, globalBatch, formatCount),
  };
}
