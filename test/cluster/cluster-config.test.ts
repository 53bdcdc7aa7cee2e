import { buildClusterConfig, checkClusterConfig, clusterName, PclusterConfig } from '../../lib/cluster/cluster-config';
import { CptConfig } from '../../lib/config/schema';
import { defaultConfig } from '../support/app';
import { RESOURCES } from '../support/cluster-resources';

const build = (overrides: Partial<CptConfig> = {}) => buildClusterConfig(defaultConfig(overrides), RESOURCES);

describe('head node', () => {
  const { HeadNode, Image, Imds } = build();

  test('Ubuntu 22.04, IMDSv2 only, the configured type in the public subnet', () => {
    expect(Image).toEqual({ Os: 'ubuntu2204' });
    expect(Imds).toEqual({ ImdsSupport: 'v2.0' });
    expect(HeadNode.Imds).toEqual({ Secured: true });
    expect(HeadNode.InstanceType).toBe('c5.4xlarge');
    expect(HeadNode.Networking).toEqual({ SubnetId: RESOURCES.headSubnetId });
    expect(HeadNode.LocalStorage.RootVolume.Encrypted).toBe(true);
  });

  test('reachable by SSM Session Manager; SSH needs no key and stays inside the VPC', () => {
    expect(HeadNode.Iam.AdditionalIamPolicies).toContainEqual({
      Policy: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
    });
    expect(HeadNode.Ssh).toEqual({ AllowedIps: '10.0.0.0/16' });
  });

  test("has the head node's own policy (publishing the run's metrics) besides SSM's", () => {
    expect(HeadNode.Iam.AdditionalIamPolicies).toEqual([
      { Policy: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' },
      { Policy: RESOURCES.headNodePolicyArn },
    ]);
  });

  test('an SSH key opens SSH to the configured range only', () => {
    expect(build({ sshKeyName: 'ops', sshAllowedCidr: '198.51.100.0/24' }).HeadNode.Ssh).toEqual({
      KeyName: 'ops',
      AllowedIps: '198.51.100.0/24',
    });
  });

  // The custom resource must finish within CloudFormation's hour, FSx (10-20 minutes) included: nothing long in the
  // head node's bootstrap, and no longer bootstrap timeout than ParallelCluster's default.
  test.each([
    ['the defaults', {}],
    [
      'trn1.32xlarge × 1, SSH',
      {
        instanceType: 'trn1.32xlarge',
        nodeCount: 1,
        globalBatchSize: 64,
        sshKeyName: 'ops',
        sshAllowedCidr: '198.51.100.0/24',
      },
    ],
  ] as const)('%s: the head node runs no custom action and keeps the default bootstrap timeout', (_name, overrides) => {
    const built = build(overrides) as unknown as Record<string, any>;
    expect(built.HeadNode).not.toHaveProperty('CustomActions');
    expect(built).not.toHaveProperty('DevSettings');
  });

  test('may read the node set-up script (for the Neuron environment), the training bundle and the metrics agent only', () => {
    expect(HeadNode.Iam.S3Access).toEqual([
      { BucketName: 'cdk-assets', KeyName: 'abc123.sh' },
      { BucketName: 'cdk-assets', KeyName: 'def456.zip' },
      { BucketName: 'cdk-assets', KeyName: '789abc.zip' },
    ]);
  });
});

describe('the Trainium queue', () => {
  const { Scheduling } = build();
  const [queue] = Scheduling.SlurmQueues;

  test('one queue of the configured type, scaling from 0 to the node count', () => {
    expect(Scheduling.SlurmQueues).toHaveLength(1);
    expect(queue.Name).toBe('trn');
    expect(queue.ComputeResources).toEqual([
      { Name: 'trn1n-32xlarge', InstanceType: 'trn1n.32xlarge', MinCount: 0, MaxCount: 16, Efa: { Enabled: true } },
    ]);
    expect(queue.JobExclusiveAllocation).toBe(true);
  });

  test('EFA with an explicit placement group, one private subnet and the EFA security group', () => {
    expect(queue.Networking).toEqual({
      SubnetIds: [RESOURCES.computeSubnetId],
      PlacementGroup: { Enabled: true },
      AdditionalSecurityGroups: [RESOURCES.efaSecurityGroupId],
    });
  });

  test('a root volume of 512 GB, as Neuron asks', () => {
    expect(queue.ComputeSettings.LocalStorage.RootVolume).toEqual({ Size: 512, Encrypted: true });
  });

  test('updates drain the queue; idle nodes go after 10 minutes', () => {
    expect(Scheduling.SlurmSettings).toEqual({ QueueUpdateStrategy: 'DRAIN', ScaledownIdletime: 10 });
  });

  test('lets training jobs read the Hugging Face token and write exports and reports, nothing else of S3', () => {
    expect(queue.Iam).toEqual({
      AdditionalIamPolicies: [
        { Policy: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' },
        { Policy: RESOURCES.trainingPolicyArn },
      ],
      S3Access: [
        { BucketName: 'cdk-assets', KeyName: 'abc123.sh' },
        { BucketName: 'trainium-cpt-checkpoints', KeyName: 'exports/*', EnableWriteAccess: true },
        { BucketName: 'trainium-cpt-checkpoints', KeyName: 'reports/*', EnableWriteAccess: true },
      ],
    });
  });

  test('runs the node set-up script as a compute node at every launch (the Neuron driver)', () => {
    expect(queue.CustomActions).toEqual({
      OnNodeConfigured: { Script: 's3://cdk-assets/abc123.sh', Args: ['compute', '2.28.1'] },
    });
  });

  test.each([
    ['trn1.32xlarge', 1],
    ['trn1n.32xlarge', 64],
  ] as const)('follows the config: %s × %i', (instanceType, nodeCount) => {
    const [resource] = build({ instanceType, nodeCount, globalBatchSize: nodeCount * 4 * 16 }).Scheduling.SlurmQueues[0]
      .ComputeResources;
    expect(resource).toMatchObject({ InstanceType: instanceType, MaxCount: nodeCount });
  });
});

describe('capacity kinds (queue-capacity.ts)', () => {
  const queueOf = (overrides: Partial<CptConfig>) => build(overrides).Scheduling.SlurmQueues[0];
  const BLOCK = {
    capacityType: 'capacity-block',
    capacityReservationId: 'cr-0123456789abcdef0',
    instanceType: 'trn1.32xlarge',
    nodeCount: 4,
    globalBatchSize: 1024,
  } as const;
  const RESERVATION = { capacityType: 'reservation', capacityReservationId: 'cr-0fedcba9876543210' } as const;

  test.each([
    ['on-demand (the default)', {}, 'ONDEMAND', 0, { Enabled: true }, undefined],
    ['spot', { capacityType: 'spot' }, 'SPOT', 0, { Enabled: true }, undefined],
    ['a reservation', RESERVATION, 'ONDEMAND', 0, { Enabled: false }, 'cr-0fedcba9876543210'],
    [
      'a reservation in its own placement group',
      { ...RESERVATION, reservationPlacementGroup: 'odcr-pg' },
      'ONDEMAND',
      0,
      { Enabled: true, Name: 'odcr-pg' },
      'cr-0fedcba9876543210',
    ],
    ['a Capacity Block of 4 nodes', BLOCK, 'CAPACITY_BLOCK', 4, { Enabled: false }, 'cr-0123456789abcdef0'],
  ] as const)('%s', (_name, overrides, capacityType, minCount, placementGroup, reservationId) => {
    const queue = queueOf(overrides as Partial<CptConfig>);
    const [resource] = queue.ComputeResources;
    expect(queue.CapacityType).toBe(capacityType);
    expect(resource.MinCount).toBe(minCount);
    expect(resource.MaxCount).toBe((overrides as Partial<CptConfig>).nodeCount ?? 16);
    expect(queue.Networking.PlacementGroup).toEqual(placementGroup);
    if (reservationId === undefined) expect(resource).not.toHaveProperty('CapacityReservationTarget');
    else expect(resource.CapacityReservationTarget).toEqual({ CapacityReservationId: reservationId });
    expect(() => checkClusterConfig(build(overrides as Partial<CptConfig>), 'cpt-pcluster', [])).not.toThrow();
  });

  test('capacity changes nothing else of the cluster', () => {
    const strip = (c: PclusterConfig) => ({ ...c, Scheduling: { ...c.Scheduling, SlurmQueues: [] } });
    expect(strip(build(RESERVATION))).toEqual(strip(build()));
  });
});

describe('FSx for Lustre', () => {
  const [fsx] = build().SharedStorage;

  test('PERSISTENT_2, sized from the config, mounted at /fsx', () => {
    expect(fsx).toMatchObject({ Name: 'fsx', StorageType: 'FsxLustre', MountDir: '/fsx' });
    const { fsxStorageGiB, fsxThroughputPerTiB } = defaultConfig();
    expect(fsx.FsxLustreSettings).toMatchObject({
      DeploymentType: 'PERSISTENT_2',
      StorageCapacity: fsxStorageGiB,
      PerUnitStorageThroughput: fsxThroughputPerTiB,
    });
    expect(build({ fsxStorageGiB: 4800, fsxThroughputPerTiB: 1000 }).SharedStorage[0].FsxLustreSettings).toMatchObject({
      StorageCapacity: 4800,
      PerUnitStorageThroughput: 1000,
    });
  });

  test('imports the datasets prefix and exports checkpoints as they are written, never deleting them in S3', () => {
    expect(fsx.FsxLustreSettings.DataRepositoryAssociations).toEqual([
      {
        Name: 'datasets',
        BatchImportMetaDataOnCreate: true,
        DataRepositoryPath: 's3://trainium-cpt-datasets/datasets',
        FileSystemPath: '/datasets',
        AutoImportPolicy: ['NEW', 'CHANGED', 'DELETED'],
      },
      {
        Name: 'checkpoints',
        BatchImportMetaDataOnCreate: true,
        DataRepositoryPath: 's3://trainium-cpt-checkpoints/checkpoints',
        FileSystemPath: '/checkpoints',
        AutoExportPolicy: ['NEW', 'CHANGED'],
        AutoImportPolicy: ['NEW', 'CHANGED'],
      },
    ]);
  });
});

test('CloudWatch logs and the dashboard are on; the tags do not change with the config', () => {
  const { Monitoring, Tags } = build();
  expect(Monitoring.Logs.CloudWatch.Enabled).toBe(true);
  expect(Monitoring.Dashboards.CloudWatch.Enabled).toBe(true);
  expect(Tags).toEqual(build({ nodeCount: 8, globalBatchSize: 1024, instanceType: 'trn1.32xlarge' }).Tags);
});

describe('checkClusterConfig refuses what ParallelCluster would', () => {
  const stacks = ['trainium-cpt-network', 'trainium-cpt-data', 'trainium-cpt-cluster'];
  const problemsOf = (
    edit: (c: PclusterConfig) => PclusterConfig,
    name = clusterName({ projectName: 'trainium-cpt' }),
  ) => {
    try {
      checkClusterConfig(edit(build()), name, stacks);
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  };
  const withQueue = (change: object) => (c: PclusterConfig) => ({
    ...c,
    Scheduling: { ...c.Scheduling, SlurmQueues: [{ ...c.Scheduling.SlurmQueues[0], ...change }] },
  });

  test('the built configuration passes', () => {
    expect(problemsOf((c) => c)).toBe('');
    expect(clusterName({ projectName: 'trainium-cpt' })).toBe('trainium-cpt-pcluster');
  });

  test.each([
    ['a cluster name starting with a digit', (c: PclusterConfig) => c, '1cluster', 'must start with a letter'],
    ['a cluster name of 61 characters', (c: PclusterConfig) => c, `a${'b'.repeat(60)}`, 'at most 60 characters'],
    [
      'a cluster name equal to a stack name',
      (c: PclusterConfig) => c,
      'trainium-cpt-cluster',
      'must differ from the stack names',
    ],
    [
      'a queue name with capitals',
      withQueue({ Name: 'Trn' }),
      undefined,
      'queue "Trn": lowercase, at most 25 characters',
    ],
    [
      'EFA without a placement group',
      withQueue({ Networking: { SubnetIds: ['s'], PlacementGroup: { Enabled: false }, AdditionalSecurityGroups: [] } }),
      undefined,
      'EFA needs a placement group',
    ],
    [
      'EFA over two subnets',
      withQueue({
        Networking: { SubnetIds: ['a', 'b'], PlacementGroup: { Enabled: true }, AdditionalSecurityGroups: [] },
      }),
      undefined,
      'EFA needs exactly one subnet',
    ],
    [
      'a small root volume',
      withQueue({ ComputeSettings: { LocalStorage: { RootVolume: { Size: 100, Encrypted: true } } } }),
      undefined,
      'at least 512 GB',
    ],
    [
      'an FSx size FSx does not offer',
      (c: PclusterConfig) => ({
        ...c,
        SharedStorage: [
          {
            ...c.SharedStorage[0],
            FsxLustreSettings: { ...c.SharedStorage[0].FsxLustreSettings, StorageCapacity: 3600 },
          },
        ],
      }),
      undefined,
      '3600 GiB is not 1200 or a multiple of 2400',
    ],
  ])('%s', (_name, edit, name, words) => {
    expect(problemsOf(edit, name)).toContain(words);
  });

  const withResource =
    (change: object, queueChange: object = {}) =>
    (c: PclusterConfig) => {
      const [queue] = c.Scheduling.SlurmQueues;
      return withQueue({ ...queueChange, ComputeResources: [{ ...queue.ComputeResources[0], ...change }] })(c);
    };
  const TARGET = { CapacityReservationTarget: { CapacityReservationId: 'cr-0123456789abcdef0' } };
  const noGroup = (c: PclusterConfig) => ({
    ...c.Scheduling.SlurmQueues[0].Networking,
    PlacementGroup: { Enabled: false },
  });
  const block =
    (change: object, placementGroup = false) =>
    (c: PclusterConfig) =>
      withResource(change, {
        CapacityType: 'CAPACITY_BLOCK',
        Networking: placementGroup ? c.Scheduling.SlurmQueues[0].Networking : noGroup(c),
      })(c);

  test.each([
    ['a Capacity Block of dynamic nodes', block({ ...TARGET, MinCount: 0 }), 'MinCount = MaxCount > 0, got 0..16'],
    ['a Capacity Block without its reservation', block({ MinCount: 16 }), 'needs its CapacityReservationTarget'],
    ['a Capacity Block in a placement group', block({ ...TARGET, MinCount: 16 }, true), 'takes no placement group'],
    ['static on-demand nodes', withResource({ MinCount: 2 }), 'MinCount must be 0 and MaxCount at least 1'],
    [
      "a reservation in a placement group of ParallelCluster's",
      withResource(TARGET),
      'takes its own placement group by Name, or none',
    ],
  ])('%s', (_name, edit, words) => {
    expect(problemsOf(edit)).toContain(words);
  });

  test('EFA without a placement group is accepted in a reservation (its own placement)', () => {
    expect(problemsOf((c) => withResource(TARGET, { Networking: noGroup(c) })(c))).toBe('');
  });
});
