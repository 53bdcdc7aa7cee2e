import { describeConfig } from '../../lib/config/summary';
import { defaultConfig } from '../support/app';

const lines = (overrides = {}) => Object.fromEntries(describeConfig(defaultConfig(overrides)));

test('works out the parallelism of the defaults: 16 nodes, TP 8', () => {
  expect(lines().Parallelism).toBe(
    'TP 8 × DP 64; micro batch 1 × 32 accumulation steps = global batch 2048 (8,388,608 tokens per step)',
  );
  expect(lines().Cluster).toContain('16 × trn1n.32xlarge (512 NeuronCores, scaled from 0)');
});

test('says where the zone and the region come from', () => {
  expect(lines().Network).toBe('VPC 10.0.0.0/16 in the zone picked at deploy time; SSH closed (SSM Session Manager)');
  expect(lines({ region: 'us-east-1', trainiumAz: 'use1-az6' }).Network).toContain('in zone use1-az6');
  expect(lines().Region).toBe('from your AWS profile at deploy time');
});

test('describes mixing, and its absence', () => {
  expect(lines().Data).toContain('general corpus corpus/general/ mixed in at 1% of tokens, 0.1% of documents held out');
  expect(lines({ generalDataShare: 0, generalCorpusPrefix: '' }).Data).toContain('no general-data mixing');
});

test('the saved steps of the planned run: every multiple of checkpointEverySteps and the last step', () => {
  expect(lines().Checkpoints).toBe(
    '500, 1,000, …, 31,000 and 31,472: 63 checkpoints, the newest 3 kept on FSx (31,472 steps on plannedTrainTokens; every run ends with its last step saved)',
  );
  // A planned run shorter than checkpointEverySteps: one checkpoint, the final one.
  expect(lines({ plannedTrainTokens: 4096 * 2048 * 10, epochs: 1, checkpointEverySteps: 500 }).Checkpoints).toMatch(
    /^10: 1 checkpoint, the final one, kept on FSx \(10 steps/,
  );
});

test('the time limits of the planned run, and the restarts', () => {
  expect(lines()['Time limits']).toBe(
    'prepare 43 min, compile 190 min (3.2 h), train 20,037 min (13.9 days), export 97 min (1.6 h), evaluate 269 min (4.5 h) ' +
      '(sbatch --time, on plannedTrainTokens: npm run plan shows how)',
  );
  expect(lines().Restarts).toBe(
    'a failed train job requeues itself from its newest checkpoint up to 3 times, draining the nodes that fail their checks (maxTrainRestarts)',
  );
  expect(lines({ maxTrainRestarts: 1 }).Restarts).toMatch(/up to 1 time, draining/);
  expect(lines({ maxTrainRestarts: 0 }).Restarts).toBe(
    'a failed train job is not requeued (maxTrainRestarts 0): the chain fails with it',
  );
});

test('warns of settings unlikely to fit a NeuronCore, and only of those', () => {
  const rows = (overrides = {}) =>
    describeConfig(defaultConfig(overrides))
      .filter(([label]) => label === 'Warning')
      .map(([, text]) => text);
  expect(rows()).toEqual([]);
  expect(rows({ tensorParallelDegree: 16 })).toEqual([]);
  const low = rows({ tensorParallelDegree: 4, globalBatchSize: 2048 });
  expect(low).toHaveLength(1);
  expect(low[0]).toMatch(
    /^tensorParallelDegree 4 \(below 8\) at sequenceLength 4,096 is unlikely to fit a NeuronCore's 16 GiB of memory: /,
  );
  expect(low[0]).toContain('tp_zero1_llama2_7B_hf_pretrain.sh at tag v2.28.0 of aws-neuron/neuronx-distributed');
  expect(rows({ microBatchSize: 2, globalBatchSize: 2048 })[0]).toMatch(
    /^microBatchSize 2 \(above 1\) is unlikely to fit/,
  );
});
