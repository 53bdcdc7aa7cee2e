/**
 * The zone of a capacity reservation (an On-Demand Capacity Reservation or a Capacity Block for ML): the cluster must
 * be where its reserved capacity is. Checked as ParallelCluster checks it at creation (pcluster/validators/
 * ec2_validators.py, 3.16.1: CapacityReservationValidator for instance type, platform and Capacity Block or not,
 * CapacityReservationSizeValidator for the size, PlacementGroupCapacityReservationValidator for the placement group),
 * but before any subnet exists, with what to change in the config.
 */
import type { CapacityReservation, CapacityReservationState } from '@aws-sdk/client-ec2';
import type { ReservedKind } from '../../lib/config/capacity';

/**
 * States in which a reservation's capacity can no longer be used (CapacityReservation.State in @aws-sdk/client-ec2
 * 3.1169, models_0.d.ts: `cancelling` and `unsupported` are future-dated reservations that will not be delivered).
 */
const ENDED_STATES: readonly CapacityReservationState[] = [
  'cancelled',
  'cancelling',
  'expired',
  'failed',
  'payment-failed',
  'unsupported',
];
/** ParallelCluster's CAPACITY_RESERVATION_OS_MAP for ubuntu2204, the cluster's OS (pcluster/constants.py). */
const LINUX_PLATFORM = 'Linux/UNIX';
/**
 * The tag that holds a Capacity Block's instance count: "Before a Capacity Block reservation begins, the available
 * capacity appears as zero" (EC2 User Guide, capacity-blocks-view.html); ParallelCluster reads it too
 * (CAPACITY_BLOCK_REQUESTED_QUANTITY_TAG_KEY, pcluster/aws/aws_resources.py).
 */
const BLOCK_QUANTITY_TAG = 'aws:ec2capacityreservation:incrementalRequestedQuantity';
const KEY = 'config key "capacityReservationId"';

export interface ReservationRequest {
  readonly reservationId: string;
  readonly kind: ReservedKind;
  readonly instanceType: string;
  /** 'auto' or the zone ID of the config key trainiumAz. */
  readonly requestedZoneId: string;
  /** The config key nodeCount: the queue's MaxCount. */
  readonly nodeCount: number;
  /** The config key reservationPlacementGroup, if set. */
  readonly placementGroup?: string;
  readonly region: string;
  readonly now: Date;
}

export interface ReservationChecks {
  /**
   * Whether to compare the reservation's size with nodeCount: the owner can shrink a reservation over time, so an
   * update that changes neither nodeCount nor the reservation does not.
   */
  readonly size: boolean;
}

/**
 * Why a reservation can no longer be used (gone, or in an ended state, or past its end), or undefined while it can.
 * These are the refusals that time alone brings about, without any change to the config.
 */
export function reservationLapse(
  reservation: CapacityReservation | undefined,
  request: Pick<ReservationRequest, 'reservationId' | 'region' | 'now'>,
): string | undefined {
  const { reservationId: id, region } = request;
  if (reservation === undefined) {
    return (
      `Capacity reservation ${id} (${KEY}) does not exist in ${region}, or is not shared with this account. ` +
      'Check the ID, and the config key "region" if the reservation is in another Region.'
    );
  }
  const ended = reservation.EndDate !== undefined && reservation.EndDate.getTime() <= request.now.getTime();
  if ((reservation.State !== undefined && ENDED_STATES.includes(reservation.State)) || ended) {
    const when = reservation.EndDate ? ` (end date ${reservation.EndDate.toISOString()})` : '';
    return (
      `Capacity reservation ${id} (${KEY}) is ${ended && reservation.State === 'active' ? 'past its end' : reservation.State}${when}: ` +
      'its capacity can no longer be used. Set capacityReservationId to a reservation that is active or scheduled.'
    );
  }
  return undefined;
}

/** The reservation's zone if the cluster can use it as configured; else an error that says what to change. */
export function reservationZone(
  reservation: CapacityReservation | undefined,
  request: ReservationRequest,
  checks: ReservationChecks = { size: true },
): { zoneId: string; zoneName: string } {
  const lapse = reservationLapse(reservation, request);
  if (reservation === undefined || lapse !== undefined) throw new Error(lapse);
  const { reservationId: id, kind, instanceType, requestedZoneId } = request;
  const isBlock = reservation.ReservationType === 'capacity-block';
  if (isBlock !== (kind === 'capacity-block')) {
    throw new Error(
      `Capacity reservation ${id} (${KEY}) is ${isBlock ? 'a Capacity Block' : 'an On-Demand Capacity Reservation'}, ` +
        `but the config key "capacityType" is ${kind}: set it to ${isBlock ? 'capacity-block' : 'reservation'}.`,
    );
  }
  if (reservation.InstanceType !== instanceType) {
    throw new Error(
      `Capacity reservation ${id} (${KEY}) is for ${reservation.InstanceType}, not ${instanceType} ` +
        `(config key "instanceType"): set instanceType to ${reservation.InstanceType}, or use a reservation of ${instanceType}.`,
    );
  }
  if (reservation.InstancePlatform !== LINUX_PLATFORM) {
    throw new Error(
      `Capacity reservation ${id} (${KEY}) is for the platform ${reservation.InstancePlatform}; ` +
        `the cluster runs Ubuntu, which needs a ${LINUX_PLATFORM} reservation.`,
    );
  }
  checkPlacementGroup(reservation, request);
  if (checks.size) checkSize(reservation, request);
  const zoneId = reservation.AvailabilityZoneId;
  const zoneName = reservation.AvailabilityZone;
  if (zoneId === undefined || zoneName === undefined) {
    throw new Error(`EC2 DescribeCapacityReservations gave no Availability Zone for ${id} (${KEY}).`);
  }
  if (requestedZoneId !== 'auto' && requestedZoneId !== zoneId) {
    throw new Error(
      `Capacity reservation ${id} (${KEY}) is in ${zoneId}, not in ${requestedZoneId} (config key "trainiumAz"): ` +
        `set trainiumAz to ${zoneId} or "auto".`,
    );
  }
  return { zoneId, zoneName };
}

/**
 * A reservation made in a cluster placement group takes instances launched into that group (EC2 User Guide,
 * capacity-reservations-launch.html: the placement group is chosen with the reservation). ParallelCluster errors on
 * a group other than the reservation's, only warns on a group with an open or targeted reservation, and checks
 * nothing without a group (PlacementGroupCapacityReservationValidator). reservationPlacementGroup names the group
 * the reservation was made in, so it must be exactly that group, or unset for a reservation made in none.
 */
function checkPlacementGroup(reservation: CapacityReservation, request: ReservationRequest): void {
  const { reservationId: id, placementGroup: configured } = request;
  const own = placementGroupName(reservation.PlacementGroupArn);
  if (own === configured) return;
  const key = 'config key "reservationPlacementGroup"';
  if (own === undefined) {
    throw new Error(
      `Capacity reservation ${id} (${KEY}) was not made in a placement group, but the ${key} is ${configured}: ` +
        'unset reservationPlacementGroup.',
    );
  }
  throw new Error(
    `Capacity reservation ${id} (${KEY}) was made in the cluster placement group ${own}, and EC2 launches into it only ` +
      `from inside that group: set reservationPlacementGroup to ${own}` +
      (configured === undefined ? ` (it is unset).` : `, not ${configured}.`),
  );
}

/** The name at the end of a placement group ARN (arn:aws:ec2:REGION:ACCOUNT:placement-group/NAME). */
function placementGroupName(arn: string | undefined): string | undefined {
  if (arn === undefined || arn === '') return undefined;
  return arn.slice(arn.indexOf('/') + 1);
}

/**
 * ParallelCluster refuses a reservation smaller than the queue's MaxCount (CapacityReservationSizeValidator:
 * max(TotalInstanceCount, the block's quantity tag)). TotalInstanceCount is "the total number of instances for which
 * the Capacity Reservation reserves capacity" (EC2 API Reference, CapacityReservation), but a Capacity Block shows
 * none before it starts, hence the tag.
 */
function checkSize(reservation: CapacityReservation, request: ReservationRequest): void {
  const blockQuantity = Number(reservation.Tags?.find((t) => t.Key === BLOCK_QUANTITY_TAG)?.Value ?? 0);
  const reserved = Math.max(reservation.TotalInstanceCount ?? 0, Number.isInteger(blockQuantity) ? blockQuantity : 0);
  if (reserved < request.nodeCount) {
    throw new Error(
      `Capacity reservation ${request.reservationId} (${KEY}) holds ${reserved} instances, fewer than the config key ` +
        `"nodeCount" (${request.nodeCount}): set nodeCount to at most ${reserved}, or use a larger reservation.`,
    );
  }
}
