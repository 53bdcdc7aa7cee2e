import { rowsOfTokens } from '../plan/figures';
import { describeLimits } from '../plan/time-limits';
import { deriveConfigRun } from '../run/derive';
import { CONFIG_NAMES, settingsOfConfig } from '../run/settings';
import { memoryWarnings } from '../training/memory-fit';
import { describeSavedSteps } from '../training/saved-steps';
import { CptConfig } from './schema';

const percent = (share: number) => `${+(share * 100).toFixed(3)}%`;

/** A few lines that say, in words, what a configuration will build and run. */
export function describeConfig(config: CptConfig): Array<[string, string]> {
  const zone = config.trainiumAz === 'auto' ? 'the zone picked at deploy time' : `zone ${config.trainiumAz}`;
  const general =
    config.generalDataShare > 0
      ? `general corpus ${config.generalCorpusPrefix} mixed in at ${percent(config.generalDataShare)} of tokens`
      : 'no general-data mixing';
  // The run the plan assumes: plannedTrainTokens until a manifest gives the real count.
  const run = deriveConfigRun(config, Math.max(1, rowsOfTokens(config.plannedTrainTokens, config.sequenceLength)));
  const warnings = memoryWarnings(settingsOfConfig(config), CONFIG_NAMES);
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
      `${config.nodeCount} × ${config.instanceType} (${config.nodeCount * run.coresPerNode} NeuronCores, scaled from 0), ` +
        `head node ${config.headNodeInstanceType}; ParallelCluster ${config.parallelClusterVersion}, Neuron SDK ${config.neuronSdkVersion}`,
    ],
    [
      'Parallelism',
      `TP ${config.tensorParallelDegree} × DP ${run.dataParallel}; micro batch ${config.microBatchSize} × ` +
        `${run.gradientAccumulation} accumulation steps = global batch ${config.globalBatchSize} ` +
        `(${run.tokensPerStep.toLocaleString('en-US')} tokens per step)`,
    ],
    [
      'Schedule',
      `learning rate ${config.learningRate} after ${config.warmupSteps} warm-up steps, ${config.epochs} epoch(s), ` +
        `a checkpoint every ${config.checkpointEverySteps} steps (${config.checkpointsKept} kept on FSx)`,
    ],
    [
      'Checkpoints',
      `${describeSavedSteps(run.savedSteps, config.checkpointsKept)} ` +
        `(${run.steps.toLocaleString('en-US')} steps on plannedTrainTokens; every run ends with its last step saved)`,
    ],
    [
      'Time limits',
      `${describeLimits(run.timeLimits.limits)} (sbatch --time, on plannedTrainTokens: npm run plan shows how)`,
    ],
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
