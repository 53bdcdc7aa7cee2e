import { NEURONCORE_MEMORY_GIB, NEURONCORE_MEMORY_SOURCE } from '../run/hardware';

/**
 * Settings that are unlikely to fit the memory of a NeuronCore, against the reference Llama 2 7B configuration of
 * the pinned neuronx-distributed release. A warning, not a refusal: the compiler and the runtime, not this project, have the last
 * word (a run that does not fit fails in its compile or train stage). Pure.
 */

/** The reference run of examples/training/llama at the pinned tag (read at that tag: TP_DEGREE, MBS, SEQ_LEN, GBS). */
export const REFERENCE_LLAMA2_7B = {
  tensorParallel: 8,
  microBatch: 1,
  sequenceLength: 4096,
  globalBatch: 1024,
  source:
    'examples/training/llama/tp_zero1_llama_hf_pretrain/tp_zero1_llama2_7B_hf_pretrain.sh at tag v2.28.0 of aws-neuron/neuronx-distributed',
} as const;

export interface MemorySettings {
  readonly tensorParallel: number;
  readonly sequenceLength: number;
  readonly microBatch: number;
}

/** The names the settings go by where the warning is shown (request fields, or configuration keys). */
export interface MemoryNames {
  readonly tensorParallel: string;
  readonly sequenceLength: string;
  readonly microBatch: string;
}

const COUNT = new Intl.NumberFormat('en-US');

/**
 * At most one warning: tensor parallelism below the reference's at its sequence length (each NeuronCore would hold a
 * larger share of the 7B weights, gradients and activations), or a micro batch above the reference's (more activations).
 */
export function memoryWarnings(settings: MemorySettings, names: MemoryNames): string[] {
  const ref = REFERENCE_LLAMA2_7B;
  const issues: string[] = [];
  if (settings.tensorParallel < ref.tensorParallel && settings.sequenceLength >= ref.sequenceLength) {
    issues.push(
      `${names.tensorParallel} ${settings.tensorParallel} (below ${ref.tensorParallel}) at ${names.sequenceLength} ${COUNT.format(settings.sequenceLength)}`,
    );
  }
  if (settings.microBatch > ref.microBatch)
    issues.push(`${names.microBatch} ${settings.microBatch} (above ${ref.microBatch})`);
  if (issues.length === 0) return [];
  return [
    `${issues.join(' and ')} ${issues.length > 1 ? 'are' : 'is'} unlikely to fit a NeuronCore's ${NEURONCORE_MEMORY_GIB} GiB of memory: ` +
      `the reference Llama 2 7B run uses TP_DEGREE=${ref.tensorParallel}, MBS=${ref.microBatch}, SEQ_LEN=${ref.sequenceLength}, GBS=${ref.globalBatch} ` +
      `(${ref.source}); memory: ${NEURONCORE_MEMORY_SOURCE}; a run that does not fit fails in its compile or train stage`,
  ];
}
