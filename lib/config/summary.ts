import { rowsOfTokens } from '../plan/figures';
import { configTimeLimits, describeLimits } from '../plan/time-limits';
import { memoryWarnings } from '../training/memory-fit';
import { stepsFor } from '../training/plan';
import { describeSavedSteps, savedSteps } from '../training/saved-steps';
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
  // The run the plan assumes: plannedTrainTokens until a manifest gives the real count.
  const steps = stepsFor(
    Math.max(1, rowsOfTokens(config.plannedTrainTokens, config.sequenceLength)),
    config.epochs,
    config.globalBatchSize,
  );
  const limits = configTimeLimits(config, steps).limits;
  const warnings = memoryWarnings(
    {
      tensorParallel: config.tensorParallelDegree,
      sequenceLength: config.sequenceLength,
      microBatch: config.microBatchSize,
    },
    { tensorParallel: 'tensorParallelDegree', sequenceLength: 'sequenceLength', microBatch: 'microBatchSize' },
  );
  const restarts =
    config.maxTrainRestarts === 0
      ? 'a failed train job is not requeued (maxTrainRestarts 0): the chain fails with it'
      : `a failed train job requeues itself from its newest checkpoint up to ${config.maxTrainRestarts} time${config.maxTrainRestarts === 1 ? '' : 's'}, ` +
        'draining the nodes that fail their checks (maxTrainRestarts)';
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
      'Checkpoints',
      `${describeSavedSteps(savedSteps(steps, config.checkpointEverySteps), config.checkpointsKept)} ` +
        `(${steps.toLocaleString('en-US')} steps on plannedTrainTokens; every run ends with its last step saved)`,
    ],
    ['Time limits', `${describeLimits(limits)} (sbatch --time, on plannedTrainTokens: npm run plan shows how)`],
    ['Restarts', restarts],
    [
      'Data',
      `domain corpus ${config.domainCorpusPrefix} (${config.corpusFormat}, field "${config.textField}"), ${general}, ` +
        `${percent(config.heldOutShare)} of documents held out, seed ${config.shuffleSeed}`,
    ],
    [
      'Network',
      `VPC ${config.vpcCidr} in ${zone}; SSH ${config.sshKeyName ? `from ${config.sshAllowedCidr}` : 'closed (SSM Session Manager)'}`,
    ],
    ...warnings.map((w): [string, string] => ['Warning', w]),
  ];
}
