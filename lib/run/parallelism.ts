import { NEURON_CORES_PER_NODE } from './hardware';
import type { RunSettings } from './settings';

/** How a run spreads over the NeuronCores. Pure. */

/** Data-parallel degree: model replicas over all nodes, nodes × NeuronCores per node ÷ tensor-parallel degree. */
export function dataParallelDegree(nodes: number, tensorParallel: number): number {
  return (nodes * NEURON_CORES_PER_NODE) / tensorParallel;
}

/** Sequences one optimizer step takes from every replica's forward pass: data-parallel degree × micro batch. */
export function sequencesPerPass(settings: Pick<RunSettings, 'nodes' | 'tensorParallel' | 'microBatch'>): number {
  return dataParallelDegree(settings.nodes, settings.tensorParallel) * settings.microBatch;
}

/** Micro-batches each replica accumulates before an optimizer step: global batch ÷ (data-parallel degree × micro batch). */
export function gradientAccumulation(
  settings: Pick<RunSettings, 'nodes' | 'tensorParallel' | 'microBatch' | 'globalBatch'>,
): number {
  return settings.globalBatch / sequencesPerPass(settings);
}
