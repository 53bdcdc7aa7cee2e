import { NEURON_CORES_PER_NODE } from './fields';
import { CptConfig, dataParallelDegree, gradientAccumulationSteps } from './schema';

const percent = (share: number) => `${+(share * 100).toFixed(3)}%`;

/** A few lines that say, in words, what a configuration will build and run. */
export function describeConfig(config: CptConfig): Array<[string, string]> {
  const tokensPerStep = config.globalBatchSize * config.sequenceLength;
  const zone = config.trainiumAz === 'auto' ? 'the zone picked at deploy time' : `zone ${config.trainiumAz}`;
  const general =
    config.generalDataShare > 0
      ? `general corpus ${config.generalCorpusPrefix} mixed in at ${percent(config.generalDataShare)} of tokens`
      : 'no general-data mixing';
  return [
    ['Region', config.region ?? 'from your AWS profile at deploy time'],
    ['Model', `${config.baseModelId}, sequences of ${config.sequenceLength} tokens`],
    [
      'Cluster',
      `${config.nodeCount} × ${config.instanceType} (${config.nodeCount * NEURON_CORES_PER_NODE} NeuronCores, scaled from 0), ` +
        `head node ${config.headNodeInstanceType}; ParallelCluster ${config.parallelClusterVersion}, Neuron SDK ${config.neuronSdkVersion}`,
    ],
    [
      'Parallelism',
      `TP ${config.tensorParallelDegree} × DP ${dataParallelDegree(config)}; micro batch ${config.microBatchSize} × ` +
        `${gradientAccumulationSteps(config)} accumulation steps = global batch ${config.globalBatchSize} ` +
        `(${tokensPerStep.toLocaleString('en-US')} tokens per step)`,
    ],
    [
      'Schedule',
      `learning rate ${config.learningRate} after ${config.warmupSteps} warm-up steps, ${config.epochs} epoch(s), ` +
        `a checkpoint every ${config.checkpointEverySteps} steps (${config.checkpointsKept} kept on FSx)`,
    ],
    [
      'Data',
      `domain corpus ${config.domainCorpusPrefix} (${config.corpusFormat}, field "${config.textField}"), ${general}, ` +
        `${percent(config.heldOutShare)} of documents held out, seed ${config.shuffleSeed}`,
    ],
    ['Network', `VPC ${config.vpcCidr} in ${zone}; SSH ${config.sshKeyName ? `from ${config.sshAllowedCidr}` : 'closed (SSM Session Manager)'}`],
  ];
}
