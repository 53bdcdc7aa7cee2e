import { CapacityKind } from '../config/capacity';
import { CptConfig } from '../config/schema';
import type { PclusterCapacityType, PclusterConfig, PlacementGroupSetting } from './cluster-config';

/**
 * How the Trainium queue gets its nodes under each capacityType, and ParallelCluster's rules between CapacityType,
 * CapacityReservationTarget, MinCount/MaxCount and the placement group (aws-parallelcluster 3.16.1, as installed in
 * .venv-pcluster: pcluster/validators/cluster_validators.py and ec2_validators.py).
 */

export interface QueueCapacity {
  readonly capacityType: PclusterCapacityType;
  readonly minCount: number;
  readonly maxCount: number;
  readonly placementGroup: PlacementGroupSetting;
  /** Set for a reservation and a Capacity Block: the compute resource launches into that reservation only. */
  readonly capacityReservationId?: string;
}

const PCLUSTER_CAPACITY_TYPE: Record<CapacityKind, PclusterCapacityType> = {
  'on-demand': 'ONDEMAND',
  // An On-Demand Capacity Reservation is used by On-Demand instances that target it.
  reservation: 'ONDEMAND',
  'capacity-block': 'CAPACITY_BLOCK',
  spot: 'SPOT',
};

type CapacitySettings = Pick<
  CptConfig,
  'capacityType' | 'capacityReservationId' | 'reservationPlacementGroup' | 'nodeCount'
>;

export function queueCapacity(config: CapacitySettings): QueueCapacity {
  const capacityType = PCLUSTER_CAPACITY_TYPE[config.capacityType];
  const target = config.capacityReservationId ? { capacityReservationId: config.capacityReservationId } : {};
  switch (config.capacityType) {
    case 'capacity-block':
      // Every node of a block is static: MinCount = MaxCount > 0 (ComputeResourceSizeValidator). Static nodes are
      // never powered down, whatever ScaledownIdletime says (ParallelCluster lists them in Slurm's SuspendExcNodes:
      // aws-parallelcluster-cookbook, slurm_parallelcluster.conf), and the block ends them. QueueUpdateStrategy DRAIN
      // still applies: an update that replaces them lets the running job finish first. No placement group: EC2 places
      // a block's instances itself, and one of ParallelCluster's would cause insufficient-capacity errors
      // (PlacementGroupCapacityTypeValidator; EfaPlacementGroupValidator skips Capacity Blocks).
      return {
        capacityType,
        minCount: config.nodeCount,
        maxCount: config.nodeCount,
        placementGroup: { Enabled: false },
        ...target,
      };
    case 'reservation':
      // The reservation's own cluster placement group, or none: a group the reservation is not in is an error
      // (PlacementGroupCapacityReservationValidator), and an open or targeted reservation needs none.
      return {
        capacityType,
        minCount: 0,
        maxCount: config.nodeCount,
        placementGroup: config.reservationPlacementGroup
          ? { Enabled: true, Name: config.reservationPlacementGroup }
          : { Enabled: false },
        ...target,
      };
    default:
      // Dynamic nodes in a placement group of ParallelCluster's, given back after ScaledownIdletime: the custom
      // resource does not wait for them, and idle nodes cost nothing.
      return { capacityType, minCount: 0, maxCount: config.nodeCount, placementGroup: { Enabled: true } };
  }
}

type Queue = PclusterConfig['Scheduling']['SlurmQueues'][number];

/** Problems of a queue's capacity settings, each naming the rule of ParallelCluster's (or of this app) it breaks. */
export function queueCapacityProblems(queue: Queue): string[] {
  const problems: string[] = [];
  const where = `queue "${queue.Name}"`;
  const placementGroup = queue.Networking.PlacementGroup;
  const blocks = queue.CapacityType === 'CAPACITY_BLOCK';
  for (const resource of queue.ComputeResources) {
    const resourceName = `compute resource "${resource.Name}"`;
    const reserved = resource.CapacityReservationTarget !== undefined;
    if (blocks) {
      if (!reserved)
        problems.push(`${resourceName}: a Capacity Block needs its CapacityReservationTarget (CapacityTypeValidator)`);
      if (resource.MinCount !== resource.MaxCount || resource.MinCount < 1) {
        problems.push(
          `${resourceName}: a Capacity Block needs MinCount = MaxCount > 0, got ${resource.MinCount}..${resource.MaxCount} (ComputeResourceSizeValidator)`,
        );
      }
    } else if (resource.MaxCount < 1 || resource.MinCount !== 0) {
      // This app's rule: outside a Capacity Block, no static node makes the custom resource wait or costs idle hours.
      problems.push(`${resourceName}: MinCount must be 0 and MaxCount at least 1`);
    }
    if (resource.Efa.Enabled && !placementGroup.Enabled && !reserved) {
      // EfaPlacementGroupValidator: without a placement group, only a reservation's own placement keeps EFA close.
      problems.push(`${where}: EFA needs a placement group unless its nodes run in a capacity reservation`);
    }
    if (reserved && !blocks && placementGroup.Enabled && placementGroup.Name === undefined) {
      problems.push(
        `${where}: a reservation takes its own placement group by Name, or none, not one ParallelCluster makes (PlacementGroupCapacityReservationValidator)`,
      );
    }
  }
  if (blocks && placementGroup.Enabled) {
    problems.push(
      `${where}: a Capacity Block takes no placement group: it would cause insufficient-capacity errors (PlacementGroupCapacityTypeValidator)`,
    );
  }
  return problems;
}
