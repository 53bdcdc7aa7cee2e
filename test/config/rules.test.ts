import { DEFAULTS_CONTEXT_KEY, ConfigError, loadConfig } from '../../lib/config/load';
import { cdkJsonContext, defaultConfig } from '../support/app';

/** Loads the cdk.json defaults with some keys replaced, and returns the error message (or fails). */
function errorFor(overrides: Record<string, unknown>): string {
  const defaults = cdkJsonContext()[DEFAULTS_CONTEXT_KEY] as Record<string, unknown>;
  try {
    loadConfig({ [DEFAULTS_CONTEXT_KEY]: { ...defaults, ...overrides } });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`config ${JSON.stringify(overrides)} was accepted`);
}

test('the defaults in cdk.json are valid', () => {
  const config = defaultConfig();
  expect(config.instanceType).toBe('trn1n.32xlarge');
  expect(config.sequenceLength).toBe(4096);
  expect(config.generalDataShare).toBe(0.01);
});

test('maxTrainRestarts: 3 by default; 0 and 10 accepted, from -c too', () => {
  expect(defaultConfig().maxTrainRestarts).toBe(3);
  expect(defaultConfig({ maxTrainRestarts: 0 }).maxTrainRestarts).toBe(0);
  expect(defaultConfig({ maxTrainRestarts: 10 }).maxTrainRestarts).toBe(10);
  const defaults = cdkJsonContext()[DEFAULTS_CONTEXT_KEY] as Record<string, unknown>;
  expect(loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults, maxTrainRestarts: '5' }).maxTrainRestarts).toBe(5);
});

// Each row: the keys to set, then the words the error must contain (the key, the value shown, and the reason).
const badConfigs: Array<[string, Record<string, unknown>, string[]]> = [
  ['project name with capitals', { projectName: 'MyProject' }, ['projectName = "MyProject"', 'lowercase letters']],
  ['project name too long', { projectName: 'a'.repeat(25) }, ['projectName', '2 to 24 characters']],
  ['malformed region', { region: 'us-east' }, ['region = "us-east"', 'a Region code']],
  ['AZ name instead of AZ ID', { trainiumAz: 'us-east-1a' }, ['trainiumAz = "us-east-1a"', 'IDs, not names']],
  [
    'AZ ID of another region',
    { region: 'us-west-2', trainiumAz: 'use1-az6' },
    ['trainiumAz = "use1-az6"', 'not a zone of region us-west-2', 'usw2-'],
  ],
  [
    'unknown instance type',
    { instanceType: 'trn2.48xlarge' },
    ['instanceType = "trn2.48xlarge"', 'trn1.32xlarge | trn1n.32xlarge'],
  ],
  ['single-device instance', { instanceType: 'trn1.2xlarge' }, ['instanceType = "trn1.2xlarge"']],
  ['zero nodes', { nodeCount: 0 }, ['nodeCount = 0', 'an integer of at least 1']],
  [
    'more than 10 train restarts',
    { maxTrainRestarts: 11 },
    ['maxTrainRestarts = 11', 'an integer from 0 (never requeue) to 10'],
  ],
  ['negative train restarts', { maxTrainRestarts: -1 }, ['maxTrainRestarts = -1', 'an integer from 0']],
  ['fractional train restarts', { maxTrainRestarts: 1.5 }, ['maxTrainRestarts = 1.5', 'integer']],
  ['fractional nodes', { nodeCount: 1.5 }, ['nodeCount = 1.5', 'integer']],
  ['node count as text', { nodeCount: 'four' }, ['nodeCount = "four"', 'expected number']],
  [
    'head node type without family',
    { headNodeInstanceType: 'large' },
    ['headNodeInstanceType = "large"', 'EC2 instance type'],
  ],
  [
    'ParallelCluster before the custom resource',
    { parallelClusterVersion: '3.5.1' },
    ['parallelClusterVersion = "3.5.1"', 'older than 3.6.0'],
  ],
  ['ParallelCluster 2', { parallelClusterVersion: '2.11.9' }, ['parallelClusterVersion = "2.11.9"', '3.x.y']],
  [
    'Neuron release without training',
    { neuronSdkVersion: '2.29.0' },
    ['neuronSdkVersion = "2.29.0"', 'Neuron 2.29 ended support'],
  ],
  ['Neuron version malformed', { neuronSdkVersion: 'latest' }, ['neuronSdkVersion = "latest"', '2.x.y']],
  ['model ID without owner', { baseModelId: 'Llama-2-7b-hf' }, ['baseModelId = "Llama-2-7b-hf"', 'owner/name']],
  [
    'domain corpus as an S3 URI',
    { domainCorpusPrefix: 's3://bucket/domain/' },
    ['domainCorpusPrefix = "s3://bucket/domain/"', 'without `s3://`'],
  ],
  [
    'domain corpus prefix without slash',
    { domainCorpusPrefix: 'domain' },
    ['domainCorpusPrefix = "domain"', 'ending with `/`'],
  ],
  ['empty domain corpus prefix', { domainCorpusPrefix: '' }, ['domainCorpusPrefix = ""', 'non-empty']],
  [
    'corpora that overlap',
    { domainCorpusPrefix: 'corpus/', generalCorpusPrefix: 'corpus/general/' },
    ['generalCorpusPrefix = "corpus/general/"', 'overlaps domainCorpusPrefix'],
  ],
  [
    'mixing without a general corpus',
    { generalCorpusPrefix: '', generalDataShare: 0.01 },
    ['generalCorpusPrefix = ""', 'generalDataShare is 0.01'],
  ],
  ['unknown corpus format', { corpusFormat: 'csv' }, ['corpusFormat = "csv"', 'jsonl | parquet']],
  ['text field with a dot', { textField: 'doc.text' }, ['textField = "doc.text"', 'identifier']],
  ['sequence longer than Llama 2 takes', { sequenceLength: 8192 }, ['sequenceLength = 8192', 'from 1 to 4096']],
  [
    'sequence length not divisible by TP',
    { sequenceLength: 4092 },
    ['sequenceLength = 4092', 'not divisible by tensorParallelDegree 8'],
  ],
  ['general share of 1', { generalDataShare: 1 }, ['generalDataShare = 1', 'up to, not including, 1']],
  ['negative general share', { generalDataShare: -0.1 }, ['generalDataShare = -0.1', 'from 0']],
  ['no held-out documents', { heldOutShare: 0 }, ['heldOutShare = 0', 'above 0']],
  ['half the corpus held out', { heldOutShare: 0.5 }, ['heldOutShare = 0.5', 'at most 0.2']],
  ['negative seed', { shuffleSeed: -1 }, ['shuffleSeed = -1', '0 to 2147483647']],
  [
    'tokenizer key that is not a tokenizer.json',
    { tokenizerS3Key: 'tokenizer/tokenizer.model' },
    ['tokenizerS3Key = "tokenizer/tokenizer.model"', 'ending with tokenizer.json'],
  ],
  ['secret name with spaces', { hfTokenSecretName: 'my token' }, ['hfTokenSecretName = "my token"', 'secret name']],
  ['Glue timeout beyond 7 days', { glueTimeoutMinutes: 20000 }, ['glueTimeoutMinutes = 20000', 'from 10 to 10080']],
  ['add-EOS as text', { addEos: 'no' }, ['addEos = "no"', 'true | false']],
  ['unknown Glue worker', { glueWorkerType: 'Standard' }, ['glueWorkerType = "Standard"', 'G.1X']],
  ['one Glue worker', { glueWorkerCount: 1 }, ['glueWorkerCount = 1', 'from 2 to 1000']],
  [
    'TP that does not divide 32 cores',
    { tensorParallelDegree: 3 },
    ['tensorParallelDegree = 3', 'does not divide the 32 NeuronCores', '1, 2, 4, 8, 16 or 32'],
  ],
  ['TP above the cores of a node', { tensorParallelDegree: 64, sequenceLength: 4096 }, ['tensorParallelDegree = 64']],
  [
    'global batch not a multiple of DP',
    { globalBatchSize: 1000 },
    ['globalBatchSize = 1000', 'not a multiple of 64', 'data-parallel degree 64 (16 nodes × 32 cores ÷ TP 8)'],
  ],
  [
    'global batch below DP × micro batch',
    { globalBatchSize: 64, microBatchSize: 2 },
    ['globalBatchSize = 64', 'not a multiple of 128'],
  ],
  ['micro batch too large', { microBatchSize: 16 }, ['microBatchSize = 16', 'from 1 to 8']],
  ['zero learning rate', { learningRate: 0 }, ['learningRate = 0', 'above 0']],
  ['learning rate that diverges', { learningRate: 0.1 }, ['learningRate = 0.1', 'at most 0.01']],
  ['negative warm-up', { warmupSteps: -5 }, ['warmupSteps = -5', 'at least 0']],
  ['zero epochs', { epochs: 0 }, ['epochs = 0', 'above 0']],
  ['checkpoint every 0 steps', { checkpointEverySteps: 0 }, ['checkpointEverySteps = 0', 'at least 1']],
  ['no checkpoint kept', { checkpointsKept: 0 }, ['checkpointsKept = 0', 'at least 1']],
  ['FSx below the minimum', { fsxStorageGiB: 1000 }, ['fsxStorageGiB = 1000', '1200, or a multiple of 2400']],
  [
    'FSx between steps',
    { fsxStorageGiB: 3600 },
    ['fsxStorageGiB = 3600', 'not a size FSx for Lustre PERSISTENT_2 offers'],
  ],
  [
    'FSx throughput FSx does not offer',
    { fsxThroughputPerTiB: 200 },
    ['fsxThroughputPerTiB = 200', '125 | 250 | 500 | 1000'],
  ],
  ['VPC too small for the subnets', { vpcCidr: '10.0.0.0/24' }, ['vpcCidr = "10.0.0.0/24"', '/16 to /20']],
  ['VPC CIDR with host bits', { vpcCidr: '10.0.0.1/16' }, ['vpcCidr = "10.0.0.1/16"', 'host bits']],
  ['VPC CIDR that is not one', { vpcCidr: '10.0.0.0' }, ['vpcCidr = "10.0.0.0"', 'IPv4 CIDR']],
  ['SSH key without a CIDR', { sshKeyName: 'my-key' }, ['sshAllowedCidr = unset', 'while sshKeyName is set']],
  [
    'SSH CIDR without a key',
    { sshAllowedCidr: '203.0.113.0/24' },
    ['sshAllowedCidr = "203.0.113.0/24"', 'while sshKeyName is unset'],
  ],
  [
    'SSH open to the world',
    { sshKeyName: 'my-key', sshAllowedCidr: '0.0.0.0/0' },
    ['sshAllowedCidr = "0.0.0.0/0"', 'whole internet'],
  ],
  [
    'SSH open to more than a /16 without saying so',
    { sshKeyName: 'my-key', sshAllowedCidr: '10.0.0.0/15' },
    ['sshAllowedCidr = "10.0.0.0/15"', '131,072 addresses', 'sshAllowWideCidr'],
  ],
  [
    'SSH open to the world even when wide ranges are allowed',
    { sshKeyName: 'my-key', sshAllowedCidr: '0.0.0.0/0', sshAllowWideCidr: true },
    ['sshAllowedCidr = "0.0.0.0/0"', 'whole internet'],
  ],
  [
    'SSH CIDR out of range',
    { sshKeyName: 'my-key', sshAllowedCidr: '300.0.0.0/8' },
    ['sshAllowedCidr = "300.0.0.0/8"'],
  ],
  [
    'bad e-mail',
    { notificationEmail: 'ops-at-example.com' },
    ['notificationEmail = "ops-at-example.com"', 'an e-mail address'],
  ],
  ['auto-submit as text', { autoSubmitOnDataReady: 'yes' }, ['autoSubmitOnDataReady = "yes"', 'true | false']],
  ['no planned tokens', { plannedTrainTokens: 0 }, ['plannedTrainTokens = 0', 'a positive integer']],
  [
    'zero measured throughput',
    { measuredTokensPerSecondPerNode: 0 },
    ['measuredTokensPerSecondPerNode = 0', 'above 0'],
  ],
  ['negative budget margin', { budgetMarginPercent: -5 }, ['budgetMarginPercent = -5', 'from 0 to 1000']],
  ['stall alarm too eager', { stallAlarmMinutes: 5 }, ['stallAlarmMinutes = 5', 'from 10 to 1440']],
];

test.each(badConfigs)('refuses %s', (_name, overrides, expected) => {
  const message = errorFor(overrides);
  for (const words of expected) expect(message).toContain(words);
  // A value that is set is traced to the layer it came from.
  expect(message).toMatch(/\(from cdk\.json\)|= unset/);
});

test('lists every problem at once', () => {
  const message = errorFor({ nodeCount: 0, learningRate: 0 });
  expect(message).toContain('nodeCount = 0');
  expect(message).toContain('learningRate = 0');
});

test.each([
  ['an explicit AZ ID of the region', { region: 'ap-northeast-1', trainiumAz: 'apne1-az4' }],
  ['an explicit AZ ID without a region', { trainiumAz: 'usw2-az4' }],
  ['SSH from one range', { sshKeyName: 'ops', sshAllowedCidr: '203.0.113.0/24' }],
  ['SSH from a /16', { sshKeyName: 'ops', sshAllowedCidr: '10.1.0.0/16' }],
  ['SSH from a /8, said explicitly', { sshKeyName: 'ops', sshAllowedCidr: '10.0.0.0/8', sshAllowWideCidr: true }],
  ['no mixing and no general corpus', { generalDataShare: 0, generalCorpusPrefix: '' }],
  ['one node with TP 32', { nodeCount: 1, tensorParallelDegree: 32, globalBatchSize: 8 }],
  ['FSx in 2400 GiB steps', { fsxStorageGiB: 4800 }],
  ['GovCloud', { region: 'us-gov-west-1', trainiumAz: 'usgw1-az1' }],
])('accepts %s', (_name, overrides) => {
  expect(() => defaultConfig(overrides)).not.toThrow();
});

test('an invalid TP degree is reported once, not again by the rules that depend on it', () => {
  const message = errorFor({ tensorParallelDegree: 3 });
  expect(message).toContain('tensorParallelDegree = 3');
  expect(message).not.toContain('sequenceLength');
  expect(message).not.toContain('globalBatchSize');
});
