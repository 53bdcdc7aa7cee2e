/**
 * How the Trainium nodes are bought (the configuration key capacityType), without zod: the zone picker's Lambda
 * bundles this module. ParallelCluster's CapacityType is ONDEMAND, SPOT or CAPACITY_BLOCK; a reservation is
 * on-demand capacity targeted by CapacityReservationTarget (lib/cluster/queue-capacity.ts).
 */
export const CAPACITY_TYPES = ['on-demand', 'reservation', 'capacity-block', 'spot'] as const;
export type CapacityKind = (typeof CAPACITY_TYPES)[number];

/** The kinds used through a capacity reservation (a Capacity Block is one too): they need capacityReservationId. */
export const RESERVED_CAPACITY_TYPES = ['reservation', 'capacity-block'] as const satisfies readonly CapacityKind[];
export type ReservedKind = (typeof RESERVED_CAPACITY_TYPES)[number];

/** Whether a value is one of RESERVED_CAPACITY_TYPES: narrows a capacityType, or checks a custom resource property. */
export function isReservedKind(value: unknown): value is ReservedKind {
  return (RESERVED_CAPACITY_TYPES as readonly unknown[]).includes(value);
}

/** EC2 User Guide, "Capacity Blocks for ML", supported instance types: trn1.32xlarge, not trn1n.32xlarge. */
export const CAPACITY_BLOCK_INSTANCE_TYPES: readonly string[] = ['trn1.32xlarge'];
