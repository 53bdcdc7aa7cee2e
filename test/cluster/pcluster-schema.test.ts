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

const RESERVATION = { capacityType: 'reservation', capacityReservationId: 'cr-0fedcba9876543210' } as const;
const CAPACITY_BLOCK = {
  capacityType: 'capacity-block',
  capacityReservationId: 'cr-0123456789abcdef0',
  instanceType: 'trn1.32xlarge',
} as const;

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
  ['spot', { capacityType: 'spot' }],
  ['a reservation without a placement group', RESERVATION],
  ['a reservation in its own placement group', { ...RESERVATION, reservationPlacementGroup: 'odcr-cluster-pg' }],
  ['a Capacity Block of 4 × trn1.32xlarge', { ...CAPACITY_BLOCK, nodeCount: 4 }],
  ['a Capacity Block of 16 × trn1.32xlarge', { ...CAPACITY_BLOCK, nodeCount: 16 }],
];

type Built = ReturnType<typeof buildClusterConfig>;
const blockOf4 = () => buildClusterConfig(defaultConfig({ ...CAPACITY_BLOCK, nodeCount: 4 }), RESOURCES);
const editResource = (config: Built, change: object): Built => {
  const [queue] = config.Scheduling.SlurmQueues;
  const ComputeResources = [{ ...queue.ComputeResources[0], ...change }];
  return { ...config, Scheduling: { ...config.Scheduling, SlurmQueues: [{ ...queue, ComputeResources }] } };
};

/** Hand-altered configurations that ParallelCluster's validators must refuse, with the error each must give. */
const refused: Array<[string, Built, string]> = [
  [
    'a Capacity Block altered to dynamic nodes (MinCount 0)',
    editResource(blockOf4(), { MinCount: 0 }),
    'ComputeResourceSizeValidator: Min count must be a value > 0 when using Capacity Block reservation.',
  ],
  [
    'a Capacity Block of trn1n.32xlarge, which EC2 does not offer',
    // The config keys refuse this before the builder runs (lib/config/schema.ts): built here around that check.
    buildClusterConfig(
      { ...defaultConfig({ ...CAPACITY_BLOCK, nodeCount: 4 }), instanceType: 'trn1n.32xlarge' },
      RESOURCES,
    ),
    "CapacityTypeValidator: Usage type 'capacity-block' not supported with instance type 'trn1n.32xlarge'",
  ],
];

interface ValidatorRecord {
  readonly file: string;
  readonly ok: boolean;
  readonly errors: string[];
  readonly warnings: string[];
}

/** Runs ParallelCluster's schema and validators over every configuration in one process, one record each. */
function validate(configs: Array<{ name: string; config: unknown }>): Map<string, ValidatorRecord> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-pcluster-'));
  const files = configs.map(({ name, config }, i) => {
    const file = path.join(dir, `${i}.json`);
    fs.writeFileSync(file, JSON.stringify(config));
    return { file, name };
  });
  let output: string;
  try {
    output = execFileSync(
      PYTHON,
      [VALIDATOR, '--cluster-name', clusterName(defaultConfig()), ...files.map((f) => f.file)],
      { encoding: 'utf8' },
    );
  } catch (error) {
    output = (error as { stdout: string }).stdout;
  }
  const records = output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ValidatorRecord);
  return new Map(records.map((r) => [files.find((f) => f.file === r.file)?.name ?? r.file, r]));
}

test('the ParallelCluster validator is installed (npm test runs scripts/pcluster-env.sh)', () => {
  expect(fs.existsSync(PYTHON)).toBe(true);
});

describe("ParallelCluster's schema and validators", () => {
  const configs = [
    ...variants.flatMap(([name, overrides]) => {
      const built = buildClusterConfig(defaultConfig(overrides), RESOURCES);
      return [
        { name, config: built },
        { name: `${name}, stringified`, config: asCloudFormationPassesIt(built) },
      ];
    }),
    ...refused.map(([name, config]) => ({ name, config })),
  ];
  const results = validate(configs);

  test('gives one record per configuration', () => {
    expect([...results.keys()].sort()).toEqual(configs.map((c) => c.name).sort());
  });

  test('every variant passes, as built and as CloudFormation passes it', () => {
    const failures = variants
      .flatMap(([name]) => [name, `${name}, stringified`])
      .filter((name) => !results.get(name)!.ok)
      .map((name) => `${name}: ${JSON.stringify(results.get(name)!.errors)}`);
    expect(failures).toEqual([]);
  });

  test('a Capacity Block draws no placement-group warning (PlacementGroupCapacityTypeValidator)', () => {
    for (const name of ['a Capacity Block of 4 × trn1.32xlarge', 'a Capacity Block of 16 × trn1.32xlarge']) {
      expect(results.get(name)!.warnings.filter((w) => w.includes('PlacementGroup'))).toEqual([]);
    }
  });

  test('a reservation without a placement group draws the warning that says this is expected', () => {
    expect(results.get('a reservation without a placement group')!.warnings).toContainEqual(
      expect.stringContaining('This is expected when using a capacity reservation with its own placement group'),
    );
  });

  test.each(refused)('refuses %s', (name, _config, error) => {
    const record = results.get(name)!;
    expect(record.ok).toBe(false);
    expect(record.errors).toContain(error);
  });
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
