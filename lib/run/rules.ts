import { LLAMA2_ATTENTION_HEADS, NEURON_CORES_PER_NODE, TENSOR_PARALLEL_DEGREES } from './hardware';
import { dataParallelDegree, sequencesPerPass } from './parallelism';
import type { RunSettings, SettingKey, SettingNames } from './settings';

/**
 * The rules between a run's settings, each written once: the configuration's schema, the training function and the
 * CLI all check them here, before a request is made (the cluster checks only each field's limits). A problem names
 * the setting to change and why; the caller adds the value, where it came from and what is accepted.
 */

export interface RunProblem {
  readonly key: SettingKey;
  readonly why: string;
  /** What is accepted, when the rule says more than the setting's own limits. */
  readonly accepted?: string;
}

export interface RuleContext {
  readonly names: SettingNames;
  /**
   * Which setting a sequence length that tensor parallelism does not divide is blamed on: the one the caller can
   * change (a submission cannot override sequenceLength).
   */
  readonly sequenceSplitBlames: 'sequenceLength' | 'tensorParallel';
  /** Where a setting's value came from ("default", "override"), for a rule that mentions another setting. */
  readonly sourceOf?: (key: SettingKey) => string;
}

const SEQUENCE_PARALLELISM = '(sequence parallelism splits each sequence over the tensor-parallel ranks)';

/** Sequence parallelism splits each sequence over the tensor-parallel ranks: the degree must divide its length. */
export function splitsSequence(sequenceLength: number, tensorParallel: number): boolean {
  return sequenceLength % tensorParallel === 0;
}

/** The rules of the parallelism: a tensor-parallel degree a node and the model allow, the sequence and the batch split. */
export function parallelismProblems(s: RunSettings, context: RuleContext): RunProblem[] {
  const { names } = context;
  if (!TENSOR_PARALLEL_DEGREES.includes(s.tensorParallel)) {
    // The rules below depend on it: reported once.
    return [
      {
        key: 'tensorParallel',
        why: `does not divide the ${NEURON_CORES_PER_NODE} NeuronCores of a node and the ${LLAMA2_ATTENTION_HEADS} attention heads of Llama 2 7B`,
      },
    ];
  }
  const problems: RunProblem[] = [];
  if (!splitsSequence(s.sequenceLength, s.tensorParallel)) {
    problems.push(
      context.sequenceSplitBlames === 'sequenceLength'
        ? {
            key: 'sequenceLength',
            why: `is not divisible by ${names.tensorParallel} ${s.tensorParallel} ${SEQUENCE_PARALLELISM}`,
          }
        : {
            key: 'tensorParallel',
            why: `does not divide ${names.sequenceLength} ${s.sequenceLength} ${SEQUENCE_PARALLELISM}`,
          },
    );
  }
  const perPass = sequencesPerPass(s);
  if (s.globalBatch % perPass !== 0) {
    const dataParallel = dataParallelDegree(s.nodes, s.tensorParallel);
    problems.push({
      key: 'globalBatch',
      why:
        `not a multiple of ${perPass} = data-parallel degree ${dataParallel} ` +
        `(${s.nodes} nodes × ${NEURON_CORES_PER_NODE} cores ÷ TP ${s.tensorParallel}) × ${names.microBatch} ${s.microBatch}`,
    });
  }
  return problems;
}

/** The rules of the schedule: the learning rate decays to a lower one; the compile stage writes no checkpoint. */
export function scheduleProblems(s: RunSettings, context: RuleContext): RunProblem[] {
  const { names, sourceOf } = context;
  const problems: RunProblem[] = [];
  if (s.minLearningRate >= s.learningRate) {
    const source = sourceOf ? ` (${sourceOf('learningRate')})` : '';
    problems.push({
      key: 'minLearningRate',
      why: `not below ${names.learningRate} ${s.learningRate}${source}, from which it decays`,
    });
  }
  if (s.checkpointEvery < 2) {
    problems.push({
      key: 'checkpointEvery',
      why: `the compile stage runs at least one step and stays below ${names.checkpointEvery}, so that it never writes a checkpoint training would resume from`,
      accepted: 'an integer of at least 2',
    });
  }
  return problems;
}

/** The rule of the run's length: the warm-up ends before the last step. */
export function stepsProblems(s: RunSettings, steps: number, rows: number): RunProblem[] {
  if (s.warmupSteps === 0 || s.warmupSteps < steps) return [];
  const from =
    s.steps !== undefined
      ? 'the steps override'
      : `${s.epochs} epochs of ${rows} rows at a global batch of ${s.globalBatch}`;
  return [
    {
      key: 'warmupSteps',
      why: `not below the run's ${steps} steps (${from})`,
      accepted: `an integer from 0 to ${steps - 1}`,
    },
  ];
}

/** A training set smaller than one global batch: each step repeats rows. `count` formats a number as the caller shows them. */
export function smallSetWarning(rows: number, globalBatch: number, count: (n: number) => string): string[] {
  return rows < globalBatch
    ? [
        `the training set (${count(rows)} rows) is smaller than one global batch (${count(globalBatch)}): each step repeats rows`,
      ]
    : [];
}
