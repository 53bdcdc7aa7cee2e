import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../lib/app';
import { loadProjectConfig } from '../lib/config/load';
import { testApp } from './support/app';
import { cfnLint } from './support/cfn-lint';

/**
 * The capacity kinds of issue 13's "done when", synthesized as `cdk synth -c key=value ...` does (the values as
 * strings, loaded by loadProjectConfig): each passes cdk-nag (buildApp attaches it; a finding fails synthesis) and
 * cfn-lint, and carries its capacity into the cluster's configuration. One synthesis per variant, one cfn-lint run.
 */
const BLOCK_WARNING = 'trainium-cpt:capacity-block-static-nodes';

const variants = {
  'a Capacity Block of 4 × trn1.32xlarge': {
    context: {
      capacityType: 'capacity-block',
      capacityReservationId: 'cr-0123456789abcdef0',
      instanceType: 'trn1.32xlarge',
      nodeCount: '4',
    },
    queue: { CapacityType: 'CAPACITY_BLOCK', MinCount: 4, MaxCount: 4, reservation: 'cr-0123456789abcdef0' },
    placementGroup: { Enabled: false },
    picker: {
      InstanceType: 'trn1.32xlarge',
      CapacityReservationId: 'cr-0123456789abcdef0',
      CapacityType: 'capacity-block',
      NodeCount: 4,
      ReservationPlacementGroup: Match.absent(),
    },
  },
  'an On-Demand Capacity Reservation': {
    context: { capacityType: 'reservation', capacityReservationId: 'cr-0fedcba9876543210' },
    queue: { CapacityType: 'ONDEMAND', MinCount: 0, MaxCount: 16, reservation: 'cr-0fedcba9876543210' },
    placementGroup: { Enabled: false },
    picker: {
      InstanceType: 'trn1n.32xlarge',
      CapacityReservationId: 'cr-0fedcba9876543210',
      CapacityType: 'reservation',
      NodeCount: 16,
      ReservationPlacementGroup: Match.absent(),
    },
  },
  'the defaults': {
    context: {},
    queue: { CapacityType: 'ONDEMAND', MinCount: 0, MaxCount: 16, reservation: undefined },
    placementGroup: { Enabled: true },
    picker: {
      InstanceType: 'trn1n.32xlarge',
      CapacityReservationId: Match.absent(),
      CapacityType: Match.absent(),
      NodeCount: Match.absent(),
    },
  },
} as const;

interface Synthesized {
  readonly app: App;
  readonly stacks: ReturnType<typeof buildApp>;
  readonly outdir: string;
  readonly error?: Error;
}

const synthesized = new Map<string, Synthesized>();
for (const [name, variant] of Object.entries(variants)) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-capacity-'));
  const app = testApp({ outdir });
  const stacks = buildApp(app, loadProjectConfig(variant.context));
  let error: Error | undefined;
  try {
    app.synth();
  } catch (caught) {
    error = caught as Error;
  }
  synthesized.set(name, { app, stacks, outdir, error });
}

describe.each(Object.entries(variants))('%s', (name, variant) => {
  const { stacks, error } = synthesized.get(name)!;

  test('passes cdk-nag: no unacknowledged finding', () => {
    expect(error).toBeUndefined();
  });

  test('writes its capacity into the cluster configuration', () => {
    const clusters = Template.fromStack(stacks.cluster).findResources('Custom::PclusterCluster');
    const [cluster] = Object.values(clusters);
    const [queue] = cluster.Properties.ClusterConfiguration.Scheduling.SlurmQueues;
    const [resource] = queue.ComputeResources;
    expect(queue.CapacityType).toBe(variant.queue.CapacityType);
    expect([resource.MinCount, resource.MaxCount]).toEqual([variant.queue.MinCount, variant.queue.MaxCount]);
    expect(resource.CapacityReservationTarget).toEqual(
      variant.queue.reservation ? { CapacityReservationId: variant.queue.reservation } : undefined,
    );
    expect(queue.Networking.PlacementGroup).toEqual(variant.placementGroup);
  });

  test("the zone picker is given the reservation, whose zone becomes the cluster's", () => {
    Template.fromStack(stacks.network).hasResourceProperties('Custom::TrainiumAvailabilityZone', variant.picker);
  });

  test('warns at synthesis to deploy before the block starts, for a Capacity Block only', () => {
    const warnings = stacks.cluster.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === 'aws:cdk:warning' && String(m.data).includes(BLOCK_WARNING));
    expect(warnings).toHaveLength(variant.queue.CapacityType === 'CAPACITY_BLOCK' ? 1 : 0);
  });
});

test('cfn-lint finds nothing in any template of any variant', () => {
  const templates = [...synthesized.values()].flatMap(({ outdir, stacks }) => {
    const files = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
    expect(files).toHaveLength(Object.keys(stacks).length);
    return files.map((f) => path.join(outdir, f));
  });
  const { code, output } = cfnLint(templates);
  expect(output).toBe('');
  expect(code).toBe(0);
});

test('`cdk synth -c capacityType=capacity-block` without an ID is refused, naming capacityReservationId', () => {
  expect(() => loadProjectConfig({ capacityType: 'capacity-block', instanceType: 'trn1.32xlarge' })).toThrow(
    /capacityReservationId.*is unset while capacityType is capacity-block/,
  );
});
