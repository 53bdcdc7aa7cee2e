import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildClusterConfig, clusterName } from '../../lib/cluster/cluster-config';
import { CptConfig } from '../../lib/config/schema';
import { defaultConfig, REPO_ROOT } from '../support/app';
import { RESOURCES } from '../support/cluster-resources';

/**
 * The configuration the builder writes passes ParallelCluster's own schema (the PyPI package aws-parallelcluster at
 * the provider's version, loaded offline by cluster/validate/validate_cluster_config.py), both as built and as
 * CloudFormation hands it to the provider: with every number and boolean turned into a string.
 */
const PYTHON = path.join(REPO_ROOT, '.venv-pcluster', 'bin', 'python');
const VALIDATOR = path.join(REPO_ROOT, 'cluster', 'validate', 'validate_cluster_config.py');

/** What CloudFormation does to custom resource properties. */
export function asCloudFormationPassesIt(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asCloudFormationPassesIt);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asCloudFormationPassesIt(v)]));
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

const variants: Array<[string, Partial<CptConfig>]> = [
  ['the defaults (16 × trn1n.32xlarge)', {}],
  ['trn1.32xlarge', { instanceType: 'trn1.32xlarge' }],
  ['trn1n.32xlarge', { instanceType: 'trn1n.32xlarge' }],
  ['1 node', { nodeCount: 1, globalBatchSize: 64 }],
  ['2 nodes', { nodeCount: 2, globalBatchSize: 128 }],
  ['16 nodes', { nodeCount: 16, globalBatchSize: 1024 }],
  ['64 nodes', { nodeCount: 64, globalBatchSize: 4096 }],
  [
    'SSH from one range, FSx 4800 GiB at 500 MB/s/TiB',
    { sshKeyName: 'ops', sshAllowedCidr: '198.51.100.0/24', fsxStorageGiB: 4800, fsxThroughputPerTiB: 500 },
  ],
];

test('the ParallelCluster validator is installed (npm test runs scripts/pcluster-env.sh)', () => {
  expect(fs.existsSync(PYTHON)).toBe(true);
});

test('every variant passes the official schema, as built and as CloudFormation passes it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-pcluster-'));
  const files = variants.flatMap(([name, overrides], i) => {
    const built = buildClusterConfig(defaultConfig(overrides), RESOURCES);
    const raw = path.join(dir, `${i}-built.json`);
    const passed = path.join(dir, `${i}-as-cloudformation-passes-it.json`);
    fs.writeFileSync(raw, JSON.stringify(built));
    fs.writeFileSync(passed, JSON.stringify(asCloudFormationPassesIt(built)));
    return [
      { file: raw, name },
      { file: passed, name: `${name}, stringified` },
    ];
  });
  let output: string;
  try {
    output = execFileSync(
      PYTHON,
      [VALIDATOR, '--cluster-name', clusterName(defaultConfig()), ...files.map((f) => f.file)],
      {
        encoding: 'utf8',
      },
    );
  } catch (error) {
    output = (error as { stdout: string }).stdout;
  }
  const results = output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(results).toHaveLength(files.length);
  const failures = results
    .filter((r) => !r.ok)
    .map((r) => `${files.find((f) => f.file === r.file)?.name}: ${JSON.stringify(r.errors)}`);
  expect(failures).toEqual([]);
});

test('the schema checked is the one of the version the app deploys', () => {
  const pins = fs.readFileSync(path.join(REPO_ROOT, 'requirements-pcluster.txt'), 'utf8');
  expect(pins).toContain(`aws-parallelcluster==${defaultConfig().parallelClusterVersion}\n`);
});

test("the head node keeps ParallelCluster's default bootstrap timeout, the 2,100 s the README and comments give", () => {
  const constants = execFileSync(PYTHON, ['-c', 'import pcluster.constants as c; print(c.NODE_BOOTSTRAP_TIMEOUT)'], {
    encoding: 'utf8',
  });
  expect(Number(constants.trim())).toBe(2100);
  expect(buildClusterConfig(defaultConfig(), RESOURCES)).not.toHaveProperty('DevSettings');
});
