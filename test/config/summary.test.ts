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
