/**
 * Custom resource (CDK Provider framework) that picks the Availability Zone of the Trainium cluster at deploy time:
 * a zone of this Region that offers the instance type. An explicit zone ID from the config is checked the same way,
 * so a wrong one fails the deployment before any subnet is created in it.
 *
 * With a capacity reservation (an On-Demand Capacity Reservation or a Capacity Block), the zone is the reservation's,
 * checked against the config (reservation.ts) instead.
 *
 * Properties: InstanceType, RequestedZoneId ('auto' or a zone ID), and with a reservation CapacityReservationId,
 * CapacityType ('reservation' | 'capacity-block'), NodeCount and, if set, ReservationPlacementGroup. Data: ZoneId,
 * ZoneName. An update that keeps the CapacityReservationId keeps its zone once the reservation has ended.
 * The physical ID is the zone ID, so an update keeps the zone it already has whenever that zone still qualifies:
 * moving the subnets would replace the cluster.
 */
import {
  CapacityReservation,
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeRegionsCommand,
  EC2Client,
  paginateDescribeInstanceTypeOfferings,
} from '@aws-sdk/client-ec2';
import { Logger } from '@aws-lambda-powertools/logger';
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { CLIENT_OPTIONS } from '../shared/client-options';
import { findCapacityReservation } from '../shared/capacity-reservation';
import { isReservedKind, RESERVED_CAPACITY_TYPES } from '../../lib/config/capacity';
import { ReservationRequest, reservationLapse, reservationZone } from './reservation';

const logger = new Logger({ serviceName: 'trainium-az-picker' });

export interface PickerResult {
  PhysicalResourceId: string;
  Data?: { ZoneId: string; ZoneName: string };
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<PickerResult> {
  logger.info('request', { requestType: event.RequestType, properties: event.ResourceProperties });
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  const instanceType = String(event.ResourceProperties.InstanceType);
  const requested = String(event.ResourceProperties.RequestedZoneId ?? 'auto');
  const current = event.RequestType === 'Update' ? event.PhysicalResourceId : undefined;
  const region = process.env.AWS_REGION ?? 'unknown';
  const ec2 = new EC2Client(CLIENT_OPTIONS);

  const reservationId = event.ResourceProperties.CapacityReservationId as string | undefined;
  if (reservationId !== undefined) {
    const request = reservationRequest(event.ResourceProperties, { reservationId, instanceType, requested, region });
    return reservationResult(event, ec2, request);
  }

  const [offered, zoneNames] = await Promise.all([
    call('DescribeInstanceTypeOfferings', () => offeredZoneIds(ec2, instanceType)),
    call('DescribeAvailabilityZones', () => availableZoneNames(ec2)),
  ]);
  const candidates = offered.filter((id) => zoneNames.has(id)).sort();
  logger.info('zones offering the instance type', { instanceType, candidates });

  const zoneId = await chooseZone({ instanceType, requested, current, candidates, region });
  const zoneName = zoneNames.get(zoneId) as string;
  logger.info('chosen zone', { zoneId, zoneName });
  return { PhysicalResourceId: zoneId, Data: { ZoneId: zoneId, ZoneName: zoneName } };
}

/**
 * The reservation's zone. On an update that keeps the reservation (a rollback among them), what time alone changed is
 * not a reason to fail: the cluster already runs in this zone, and a rollback that fails leaves the stack
 * UPDATE_ROLLBACK_FAILED. So the zone is kept once the reservation has ended or is gone, and the size is checked again
 * only when nodeCount changes.
 */
async function reservationResult(
  event: CloudFormationCustomResourceCreateEvent | CloudFormationCustomResourceUpdateEvent,
  ec2: EC2Client,
  request: ReservationRequest,
): Promise<PickerResult> {
  const { reservationId } = request;
  const reservation = await call('DescribeCapacityReservations', () => findCapacityReservation(ec2, reservationId));
  logger.info('capacity reservation', {
    reservationId,
    state: reservation?.State,
    startDate: reservation?.StartDate,
    endDate: reservation?.EndDate,
    totalInstanceCount: reservation?.TotalInstanceCount,
    placementGroupArn: reservation?.PlacementGroupArn,
  });
  const old = event.RequestType === 'Update' ? event.OldResourceProperties : undefined;
  const kept = old !== undefined && old.CapacityReservationId === reservationId;
  const lapse = kept ? reservationLapse(reservation, request) : undefined;
  if (event.RequestType === 'Update' && kept && lapse !== undefined) {
    logger.warn('keeping the current zone: the reservation is unchanged, and no longer usable', { lapse });
    return keepZone(ec2, event.PhysicalResourceId, reservation, `${lapse} In ${request.region},`);
  }
  const size = !kept || old.NodeCount !== event.ResourceProperties.NodeCount;
  const { zoneId, zoneName } = reservationZone(reservation, request, { size });
  logger.info("chosen zone: the reservation's", { zoneId, zoneName, sizeChecked: size });
  return { PhysicalResourceId: zoneId, Data: { ZoneId: zoneId, ZoneName: zoneName } };
}

/** The result that keeps the zone an earlier Create returned, with its name (from the reservation, or from EC2). */
async function keepZone(
  ec2: EC2Client,
  zoneId: string,
  reservation: CapacityReservation | undefined,
  lapse: string,
): Promise<PickerResult> {
  const zoneName =
    reservation?.AvailabilityZoneId === zoneId
      ? reservation.AvailabilityZone
      : (await call('DescribeAvailabilityZones', () => availableZoneNames(ec2))).get(zoneId);
  if (zoneName === undefined) {
    throw new Error(`${lapse} the current zone ${zoneId} is not an available zone either.`);
  }
  logger.info('kept zone', { zoneId, zoneName });
  return { PhysicalResourceId: zoneId, Data: { ZoneId: zoneId, ZoneName: zoneName } };
}

/**
 * The reservation's properties, checked: lib/network/trainium-zone.ts sets them from a validated config, so a bad
 * one is a deployment error, named here rather than passed on as an unchecked cast.
 */
function reservationRequest(
  properties: Record<string, unknown>,
  known: { reservationId: string; instanceType: string; requested: string; region: string },
): ReservationRequest {
  const { CapacityType: kind, NodeCount, ReservationPlacementGroup: placementGroup } = properties;
  if (!isReservedKind(kind)) {
    throw new Error(
      `Property CapacityType of Custom::TrainiumAvailabilityZone is ${JSON.stringify(kind)}: expected ${RESERVED_CAPACITY_TYPES.join(' or ')} with a CapacityReservationId (a deployment error: lib/network/trainium-zone.ts sets it).`,
    );
  }
  // CloudFormation passes every scalar property as a string.
  const nodeCount = Number(NodeCount);
  if (NodeCount === undefined || NodeCount === '' || !Number.isInteger(nodeCount) || nodeCount < 1) {
    throw new Error(
      `Property NodeCount of Custom::TrainiumAvailabilityZone is ${JSON.stringify(NodeCount)}: expected an integer of at least 1 (a deployment error: lib/network/trainium-zone.ts sets it).`,
    );
  }
  if (placementGroup !== undefined && typeof placementGroup !== 'string') {
    throw new Error(
      `Property ReservationPlacementGroup of Custom::TrainiumAvailabilityZone is ${JSON.stringify(placementGroup)}: expected a placement group name or nothing.`,
    );
  }
  return {
    reservationId: known.reservationId,
    kind,
    instanceType: known.instanceType,
    requestedZoneId: known.requested,
    nodeCount,
    placementGroup,
    region: known.region,
    now: new Date(),
  };
}

interface ZoneChoice {
  instanceType: string;
  requested: string;
  current?: string;
  candidates: string[];
  region: string;
}

async function chooseZone(choice: ZoneChoice): Promise<string> {
  const { instanceType, requested, current, candidates, region } = choice;
  if (candidates.length === 0) {
    const regions = await regionsOffering(instanceType).catch((error: Error) => {
      logger.warn('could not list the Regions that offer the instance type', { error });
      return undefined;
    });
    const where =
      regions === undefined
        ? 'The Regions that offer it could not be listed (see the function logs).'
        : regions.length > 0
          ? `Regions that offer it: ${regions.join(', ')}.`
          : 'No enabled Region of this account offers it.';
    throw new Error(
      `No Availability Zone of ${region} offers ${instanceType}. ${where} Set the config key "region" to one of them and deploy again.`,
    );
  }
  if (requested !== 'auto') {
    if (candidates.includes(requested)) return requested;
    throw new Error(
      `Availability Zone ${requested} (config key "trainiumAz") does not offer ${instanceType} in ${region}, or is not an available zone of it. ` +
        `Zones that do: ${candidates.join(', ')}; or set trainiumAz to "auto".`,
    );
  }
  return current !== undefined && candidates.includes(current) ? current : candidates[0];
}

async function offeredZoneIds(ec2: EC2Client, instanceType: string): Promise<string[]> {
  const zoneIds: string[] = [];
  const pages = paginateDescribeInstanceTypeOfferings(
    { client: ec2 },
    { LocationType: 'availability-zone-id', Filters: [{ Name: 'instance-type', Values: [instanceType] }] },
  );
  for await (const page of pages) {
    for (const offering of page.InstanceTypeOfferings ?? []) {
      if (offering.Location) zoneIds.push(offering.Location);
    }
  }
  return zoneIds;
}

/** Zone ID → zone name, for the standard zones of this Region that are available (no Local or Wavelength Zones). */
async function availableZoneNames(ec2: EC2Client): Promise<Map<string, string>> {
  const response = await ec2.send(
    new DescribeAvailabilityZonesCommand({
      Filters: [
        { Name: 'zone-type', Values: ['availability-zone'] },
        { Name: 'state', Values: ['available'] },
      ],
    }),
  );
  const names = new Map<string, string>();
  for (const zone of response.AvailabilityZones ?? []) {
    if (zone.ZoneId && zone.ZoneName) names.set(zone.ZoneId, zone.ZoneName);
  }
  return names;
}

/**
 * Only on the failure path: asks every enabled Region whether it offers the instance type. A Region that does not
 * answer (an SCP may deny it) is left out rather than hiding the answer of the others.
 */
async function regionsOffering(instanceType: string): Promise<string[]> {
  const { Regions = [] } = await new EC2Client(CLIENT_OPTIONS).send(new DescribeRegionsCommand({}));
  const names = Regions.map((r) => r.RegionName).filter((n): n is string => n !== undefined);
  const offers = await Promise.all(
    names.map(async (name) => {
      try {
        const response = await new EC2Client({ ...CLIENT_OPTIONS, region: name }).send(
          new DescribeInstanceTypeOfferingsCommand({
            LocationType: 'region',
            Filters: [{ Name: 'instance-type', Values: [instanceType] }],
          }),
        );
        return (response.InstanceTypeOfferings ?? []).length > 0 ? name : undefined;
      } catch (error) {
        logger.warn('Region did not answer', { region: name, error: error as Error });
        return undefined;
      }
    }),
  );
  return offers.filter((n): n is string => n !== undefined).sort();
}

/** Names the EC2 call in any error, and says what to do when EC2 keeps throttling. */
async function call<T>(api: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const err = error as Error & { $metadata?: { attempts?: number } };
    const attempts = err.$metadata?.attempts;
    const detail = `${err.name}: ${err.message}`;
    if (/Throttl|RequestLimitExceeded/.test(err.name)) {
      throw new Error(
        `EC2 ${api} was throttled${attempts ? ` after ${attempts} attempts` : ''} (${detail}). ` +
          'Nothing was created; deploy again in a few minutes.',
        { cause: error },
      );
    }
    const hint = /Unauthorized|AccessDenied/.test(err.name) ? ` The role of this function needs ec2:${api}.` : '';
    throw new Error(`EC2 ${api} failed (${detail}).${hint}`, { cause: error });
  }
}
