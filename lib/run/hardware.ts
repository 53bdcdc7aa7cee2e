/**
 * The machine and the model a run is made of: facts every rule of the run rests on, written once. Adding an instance
 * type with other counts (trn2: 64 NeuronCores a node) or another model starts here.
 */

/** Neuron devices (Trainium chips) of a node: trn1.32xlarge and trn1n.32xlarge have 16, of 2 NeuronCores each. */
export const NEURON_DEVICES_PER_NODE: number = 16;
export const NEURON_CORES_PER_DEVICE = 2;
/** NeuronCores per node: torchrun's --nproc_per_node, NEURON_RT_NUM_CORES, the preflight's neuron-ls check. */
export const NEURON_CORES_PER_NODE = NEURON_DEVICES_PER_NODE * NEURON_CORES_PER_DEVICE;
/**
 * Device memory of one NeuronCore-v2: a Trainium chip has 32 GiB for its two NeuronCore-v2 (Neuron documentation,
 * "Trainium Architecture", release 2.28.1: about-neuron/arch/neuron-hardware/trainium.rst of aws-neuron/aws-neuron-sdk).
 */
export const NEURONCORE_MEMORY_GIB = 16;
export const NEURONCORE_MEMORY_SOURCE =
  'https://awsdocs-neuron.readthedocs-hosted.com/en/v2.28.1/about-neuron/arch/neuron-hardware/trainium.html (32 GiB of device memory per Trainium chip, 2 NeuronCore-v2 per chip)';

/** Llama 2 7B: 32 attention heads and a maximum context of 4,096 positions. */
export const LLAMA2_ATTENTION_HEADS = 32;
export const LLAMA2_MAX_SEQUENCE_LENGTH = 4096;

/**
 * The tensor-parallel degrees a run can use: the divisors of a node's NeuronCores that also divide the attention
 * heads (each rank holds whole heads, and a tensor-parallel group stays within a node): 1, 2, 4, 8, 16, 32.
 */
export const TENSOR_PARALLEL_DEGREES: readonly number[] = Array.from(
  { length: NEURON_CORES_PER_NODE },
  (_, i) => i + 1,
).filter((d) => NEURON_CORES_PER_NODE % d === 0 && LLAMA2_ATTENTION_HEADS % d === 0);

/** "1, 2, 4, 8, 16 or 32". */
export function describeTensorParallelDegrees(): string {
  const all = TENSOR_PARALLEL_DEGREES.map(String);
  return `${all.slice(0, -1).join(', ')} or ${all[all.length - 1]}`;
}
