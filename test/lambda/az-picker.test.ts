import {
  CapacityReservation,
  DescribeAvailabilityZonesCommand,
  DescribeCapacityReservationsCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeRegionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { handler } from '../../lambda/az-picker';
import { customResourceEvent } from '../support/custom-resource';
import { mockSdkClients } from '../support/sdk-mocks';

const { ec2 } = mockSdkClients({ ec2: EC2Client });

const ZONES = [
  { ZoneId: 'use1-az1', ZoneName: 'us-east-1c' },
  { ZoneId: 'use1-az4', ZoneName: 'us-east-1a' },
  { ZoneId: 'use1-az6', ZoneName: 'us-east-1b' },
];

const event = (
  requestType: 'Create' | 'Update' | 'Delete',
  props: {
    InstanceType?: string;
    RequestedZoneId?: string;
    CapacityReservationId?: string;
    CapacityType?: string;
    NodeCount?: string;
    ReservationPlacementGroup?: string;
  } = {},
  physicalId = 'use1-az6',
) =>
  customResourceEvent(requestType, {
    stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/trainium-cpt-network/1',
    logicalId: 'TrainiumZone',
    physicalId,
    type: 'Custom::TrainiumAvailabilityZone',
    properties: { InstanceType: 'trn1.32xlarge', RequestedZoneId: 'auto', ...props },
  });

function offeredIn(...zoneIds: string[]) {
  ec2.on(DescribeInstanceTypeOfferingsCommand, { LocationType: 'availability-zone-id' }).resolves({
    InstanceTypeOfferings: zoneIds.map((Location) => ({ Location, LocationType: 'availability-zone-id' })),
  });
}

beforeEach(() => {
  process.env.AWS_REGION = 'us-east-1';
  ec2.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: ZONES });
});

describe('offered', () => {
  test('picks the lowest zone ID that offers the type, and gives its name', async () => {
    offeredIn('use1-az6', 'use1-az4');
    await expect(handler(event('Create'))).resolves.toEqual({
      PhysicalResourceId: 'use1-az4',
      Data: { ZoneId: 'use1-az4', ZoneName: 'us-east-1a' },
    });
    expect(ec2).toHaveReceivedCommandWith(DescribeInstanceTypeOfferingsCommand, {
      LocationType: 'availability-zone-id',
      Filters: [{ Name: 'instance-type', Values: ['trn1.32xlarge'] }],
    });
    expect(ec2).toHaveReceivedCommandWith(DescribeAvailabilityZonesCommand, {
      Filters: [
        { Name: 'zone-type', Values: ['availability-zone'] },
        { Name: 'state', Values: ['available'] },
      ],
    });
  });

  test('reads every page of offerings', async () => {
    ec2
      .on(DescribeInstanceTypeOfferingsCommand)
      .resolvesOnce({ InstanceTypeOfferings: [{ Location: 'use1-az6' }], NextToken: 'page-2' })
      .resolvesOnce({ InstanceTypeOfferings: [{ Location: 'use1-az1' }] });
    const result = await handler(event('Create'));
    expect(result.PhysicalResourceId).toBe('use1-az1');
    expect(ec2).toHaveReceivedCommandTimes(DescribeInstanceTypeOfferingsCommand, 2);
    expect(ec2).toHaveReceivedNthSpecificCommandWith(2, DescribeInstanceTypeOfferingsCommand, { NextToken: 'page-2' });
  });

  test('uses an explicit zone ID that offers the type', async () => {
    offeredIn('use1-az1', 'use1-az6');
    const result = await handler(event('Create', { RequestedZoneId: 'use1-az6' }));
    expect(result.Data).toEqual({ ZoneId: 'use1-az6', ZoneName: 'us-east-1b' });
  });

  test('an update keeps the zone it has while that zone still offers the type, so the subnets stay', async () => {
    offeredIn('use1-az1', 'use1-az6');
    const result = await handler(event('Update', { InstanceType: 'trn1n.32xlarge' }, 'use1-az6'));
    expect(result.PhysicalResourceId).toBe('use1-az6');
  });

  test('an update moves when the current zone no longer qualifies', async () => {
    offeredIn('use1-az1');
    const result = await handler(event('Update', { InstanceType: 'trn1n.32xlarge' }, 'use1-az6'));
    expect(result.PhysicalResourceId).toBe('use1-az1');
  });

  test('ignores offerings in zones that are not available standard zones (Local Zones, impaired zones)', async () => {
    offeredIn('use1-bos1-az1', 'use1-az6');
    const result = await handler(event('Create'));
    expect(result.PhysicalResourceId).toBe('use1-az6');
  });

  test('delete calls nothing and keeps the physical ID', async () => {
    await expect(handler(event('Delete', {}, 'use1-az6'))).resolves.toEqual({ PhysicalResourceId: 'use1-az6' });
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('not offered', () => {
  test('an explicit zone that does not offer the type fails, listing the zones that do', async () => {
    offeredIn('use1-az1', 'use1-az4');
    await expect(handler(event('Create', { RequestedZoneId: 'use1-az6' }))).rejects.toThrow(
      'Availability Zone use1-az6 (config key "trainiumAz") does not offer trn1.32xlarge in us-east-1, or is not an available zone of it. Zones that do: use1-az1, use1-az4; or set trainiumAz to "auto".',
    );
  });

  test('no zone of the region offers the type: fails and lists the regions to try', async () => {
    offeredIn();
    ec2.on(DescribeRegionsCommand).resolves({
      Regions: [{ RegionName: 'eu-west-3' }, { RegionName: 'us-west-2' }, { RegionName: 'us-east-2' }],
    });
    // Asked per Region, the Region-level offering answers whether that Region has the type.
    ec2.on(DescribeInstanceTypeOfferingsCommand, { LocationType: 'region' }).callsFake(async (_input, getClient) => {
      const region = await getClient().config.region();
      return { InstanceTypeOfferings: region === 'eu-west-3' ? [] : [{ Location: region }] };
    });
    await expect(handler(event('Create'))).rejects.toThrow(
      'No Availability Zone of us-east-1 offers trn1.32xlarge. Regions that offer it: us-east-2, us-west-2. Set the config key "region" to one of them and deploy again.',
    );
    expect(ec2).toHaveReceivedCommandWith(DescribeInstanceTypeOfferingsCommand, {
      LocationType: 'region',
      Filters: [{ Name: 'instance-type', Values: ['trn1.32xlarge'] }],
    });
  });

  test('a region that does not answer is left out of the list, not allowed to hide it', async () => {
    offeredIn();
    ec2.on(DescribeRegionsCommand).resolves({ Regions: [{ RegionName: 'ap-south-2' }, { RegionName: 'us-west-2' }] });
    ec2.on(DescribeInstanceTypeOfferingsCommand, { LocationType: 'region' }).callsFake(async (_input, getClient) => {
      const region = await getClient().config.region();
      if (region === 'ap-south-2') throw Object.assign(new Error('denied by SCP'), { name: 'UnauthorizedOperation' });
      return { InstanceTypeOfferings: [{ Location: region }] };
    });
    await expect(handler(event('Create'))).rejects.toThrow('Regions that offer it: us-west-2.');
  });

  test('when the regions cannot be listed, still says that this region offers no zone', async () => {
    offeredIn();
    ec2.on(DescribeRegionsCommand).rejects(Object.assign(new Error('no'), { name: 'UnauthorizedOperation' }));
    await expect(handler(event('Create'))).rejects.toThrow(
      'No Availability Zone of us-east-1 offers trn1.32xlarge. The Regions that offer it could not be listed (see the function logs).',
    );
  });

  test('says so when no enabled region offers the type', async () => {
    offeredIn();
    ec2.on(DescribeRegionsCommand).resolves({ Regions: [{ RegionName: 'eu-west-3' }] });
    ec2.on(DescribeInstanceTypeOfferingsCommand, { LocationType: 'region' }).resolves({ InstanceTypeOfferings: [] });
    await expect(handler(event('Create'))).rejects.toThrow('No enabled Region of this account offers it.');
  });
});

describe('EC2 errors', () => {
  function awsError(name: string, message: string, attempts?: number) {
    return Object.assign(new Error(message), { name, $metadata: { attempts } });
  }

  test('throttled: fails with the API, the attempts and what to do', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded', 8));
    await expect(handler(event('Create'))).rejects.toThrow(
      'EC2 DescribeInstanceTypeOfferings was throttled after 8 attempts (ThrottlingException: Rate exceeded). Nothing was created; deploy again in a few minutes.',
    );
  });

  test('EC2 request limit: reported as throttling too', async () => {
    offeredIn('use1-az1');
    ec2.on(DescribeAvailabilityZonesCommand).rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.'));
    await expect(handler(event('Create'))).rejects.toThrow('EC2 DescribeAvailabilityZones was throttled');
  });

  test('access denied: names the permission the role lacks', async () => {
    ec2
      .on(DescribeInstanceTypeOfferingsCommand)
      .rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    await expect(handler(event('Create'))).rejects.toThrow(
      'EC2 DescribeInstanceTypeOfferings failed (UnauthorizedOperation: You are not authorized to perform this operation.). The role of this function needs ec2:DescribeInstanceTypeOfferings.',
    );
  });

  test('any other API error: passed on with the API name', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).rejects(awsError('InternalError', 'An internal error has occurred'));
    await expect(handler(event('Create'))).rejects.toThrow(
      'EC2 DescribeInstanceTypeOfferings failed (InternalError: An internal error has occurred).',
    );
  });

  test('the client retries throttled calls adaptively before giving up', async () => {
    offeredIn('use1-az1');
    await handler(event('Create'));
    const client = ec2.send.firstCall.thisValue as EC2Client;
    expect(await client.config.maxAttempts()).toBe(8);
    expect(((await client.config.retryStrategy()) as { mode?: string }).mode).toBe('adaptive');
  });
});

describe("a capacity reservation: its zone becomes the cluster's", () => {
  const BLOCK_ID = 'cr-0123456789abcdef0';
  // CloudFormation passes NodeCount as a string.
  const inBlock = (props: { RequestedZoneId?: string; NodeCount?: string; ReservationPlacementGroup?: string } = {}) =>
    event('Create', { CapacityReservationId: BLOCK_ID, CapacityType: 'capacity-block', NodeCount: '4', ...props });
  const block: CapacityReservation = {
    CapacityReservationId: BLOCK_ID,
    InstanceType: 'trn1.32xlarge',
    InstancePlatform: 'Linux/UNIX',
    AvailabilityZone: 'us-east-1d',
    AvailabilityZoneId: 'use1-az5',
    State: 'scheduled',
    ReservationType: 'capacity-block',
    // Before a block starts, EC2 shows no capacity; its size is in this tag (EC2 User Guide, capacity-blocks-view).
    TotalInstanceCount: 0,
    Tags: [{ Key: 'aws:ec2capacityreservation:incrementalRequestedQuantity', Value: '4' }],
    StartDate: new Date(Date.now() + 86_400_000),
    EndDate: new Date(Date.now() + 8 * 86_400_000),
  };
  const PG_ARN = 'arn:aws:ec2:us-east-1:123456789012:placement-group/odcr-pg';
  const describes = (reservation: CapacityReservation) =>
    ec2.on(DescribeCapacityReservationsCommand).resolves({ CapacityReservations: [reservation] });

  test("takes the reservation's zone, asking EC2 for that one reservation and nothing else", async () => {
    describes(block);
    await expect(handler(inBlock())).resolves.toEqual({
      PhysicalResourceId: 'use1-az5',
      Data: { ZoneId: 'use1-az5', ZoneName: 'us-east-1d' },
    });
    expect(ec2).toHaveReceivedCommandWith(DescribeCapacityReservationsCommand, { CapacityReservationIds: [BLOCK_ID] });
    expect(ec2).toHaveReceivedCommandTimes(DescribeCapacityReservationsCommand, 1);
    expect(ec2).not.toHaveReceivedCommand(DescribeInstanceTypeOfferingsCommand);
  });

  test('an On-Demand Capacity Reservation that is active, with trainiumAz naming its zone', async () => {
    describes({
      ...block,
      ReservationType: 'default',
      State: 'active',
      EndDate: undefined,
      TotalInstanceCount: 4,
      Tags: [],
    });
    const result = await handler(
      event('Create', {
        CapacityReservationId: BLOCK_ID,
        CapacityType: 'reservation',
        RequestedZoneId: 'use1-az5',
        NodeCount: '4',
      }),
    );
    expect(result.PhysicalResourceId).toBe('use1-az5');
  });

  const refusals: Array<[string, () => void, object, string]> = [
    [
      'a reservation EC2 does not know',
      () =>
        ec2
          .on(DescribeCapacityReservationsCommand)
          .rejects(Object.assign(new Error('not found'), { name: 'InvalidCapacityReservationId.NotFound' })),
      {},
      `Capacity reservation ${BLOCK_ID} (config key "capacityReservationId") does not exist in us-east-1, or is not shared with this account.`,
    ],
    [
      'an answer without the reservation',
      () => ec2.on(DescribeCapacityReservationsCommand).resolves({ CapacityReservations: [] }),
      {},
      'does not exist in us-east-1',
    ],
    [
      'a reservation of another instance type',
      () => describes({ ...block, InstanceType: 'p5.48xlarge' }),
      {},
      `Capacity reservation ${BLOCK_ID} (config key "capacityReservationId") is for p5.48xlarge, not trn1.32xlarge (config key "instanceType")`,
    ],
    [
      'a cancelled reservation',
      () => describes({ ...block, State: 'cancelled' }),
      {},
      `Capacity reservation ${BLOCK_ID} (config key "capacityReservationId") is cancelled`,
    ],
    ['an expired block', () => describes({ ...block, State: 'expired' }), {}, 'is expired'],
    ['a block whose payment failed', () => describes({ ...block, State: 'payment-failed' }), {}, 'is payment-failed'],
    [
      'an active block past its end date',
      () => describes({ ...block, State: 'active', EndDate: new Date(Date.now() - 60_000) }),
      {},
      'is past its end',
    ],
    [
      'a reservation in another zone than trainiumAz',
      () => describes(block),
      { RequestedZoneId: 'use1-az6' },
      `Capacity reservation ${BLOCK_ID} (config key "capacityReservationId") is in use1-az5, not in use1-az6 (config key "trainiumAz"): set trainiumAz to use1-az5 or "auto".`,
    ],
    [
      'an On-Demand Capacity Reservation where a Capacity Block is configured',
      () => describes({ ...block, ReservationType: 'default' }),
      {},
      'is an On-Demand Capacity Reservation, but the config key "capacityType" is capacity-block: set it to reservation.',
    ],
    ['a cancelling future-dated reservation', () => describes({ ...block, State: 'cancelling' }), {}, 'is cancelling'],
    [
      'a block that holds fewer instances than nodeCount',
      () =>
        describes({ ...block, Tags: [{ Key: 'aws:ec2capacityreservation:incrementalRequestedQuantity', Value: '2' }] }),
      {},
      `Capacity reservation ${BLOCK_ID} (config key "capacityReservationId") holds 2 instances, fewer than the config key "nodeCount" (4): set nodeCount to at most 2, or use a larger reservation.`,
    ],
    [
      'a reservation whose TotalInstanceCount is below nodeCount',
      () => describes({ ...block, TotalInstanceCount: 3, Tags: [] }),
      {},
      'holds 3 instances, fewer than the config key "nodeCount" (4)',
    ],
    [
      'a reservation made in a placement group while reservationPlacementGroup is unset',
      () => describes({ ...block, PlacementGroupArn: PG_ARN }),
      {},
      `Capacity reservation ${BLOCK_ID} (config key "capacityReservationId") was made in the cluster placement group odcr-pg, and EC2 launches into it only from inside that group: set reservationPlacementGroup to odcr-pg (it is unset).`,
    ],
    [
      'a reservation made in another placement group than reservationPlacementGroup',
      () => describes({ ...block, PlacementGroupArn: PG_ARN }),
      { ReservationPlacementGroup: 'other-pg' },
      'was made in the cluster placement group odcr-pg, and EC2 launches into it only from inside that group: set reservationPlacementGroup to odcr-pg, not other-pg.',
    ],
    [
      'reservationPlacementGroup set for a reservation made in no placement group',
      () => describes(block),
      { ReservationPlacementGroup: 'my-pg' },
      `Capacity reservation ${BLOCK_ID} (config key "capacityReservationId") was not made in a placement group, but the config key "reservationPlacementGroup" is my-pg: unset reservationPlacementGroup.`,
    ],
    [
      'a Windows reservation',
      () => describes({ ...block, InstancePlatform: 'Windows' }),
      {},
      'is for the platform Windows; the cluster runs Ubuntu, which needs a Linux/UNIX reservation.',
    ],
  ];

  test.each(refusals)('refuses %s, naming capacityReservationId', async (_name, arrange, props, message) => {
    arrange();
    await expect(handler(inBlock(props))).rejects.toThrow(message);
  });

  test('other EC2 errors are reported as for the other calls', async () => {
    ec2
      .on(DescribeCapacityReservationsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation', $metadata: {} }));
    await expect(handler(inBlock())).rejects.toThrow(
      'EC2 DescribeCapacityReservations failed (UnauthorizedOperation: denied). The role of this function needs ec2:DescribeCapacityReservations.',
    );
  });
  test('a reservation made in the placement group reservationPlacementGroup names is used', async () => {
    describes({ ...block, PlacementGroupArn: PG_ARN });
    const result = await handler(inBlock({ ReservationPlacementGroup: 'odcr-pg' }));
    expect(result.PhysicalResourceId).toBe('use1-az5');
  });

  test('the larger of TotalInstanceCount and the block quantity tag is the size, as ParallelCluster counts it', async () => {
    describes({ ...block, State: 'active', TotalInstanceCount: 4, Tags: [] });
    await expect(handler(inBlock())).resolves.toMatchObject({ PhysicalResourceId: 'use1-az5' });
  });

  describe('properties the stack sets wrongly are deployment errors, named', () => {
    test.each([
      [
        'no CapacityType',
        { CapacityType: undefined },
        'Property CapacityType of Custom::TrainiumAvailabilityZone is undefined: expected reservation or capacity-block',
      ],
      [
        'CapacityType spot',
        { CapacityType: 'spot' },
        'Property CapacityType of Custom::TrainiumAvailabilityZone is "spot": expected reservation or capacity-block',
      ],
      [
        'no NodeCount',
        { NodeCount: undefined },
        'Property NodeCount of Custom::TrainiumAvailabilityZone is undefined: expected an integer of at least 1',
      ],
      [
        'a fractional NodeCount',
        { NodeCount: '2.5' },
        'Property NodeCount of Custom::TrainiumAvailabilityZone is "2.5"',
      ],
      ['NodeCount 0', { NodeCount: '0' }, 'Property NodeCount of Custom::TrainiumAvailabilityZone is "0"'],
    ])('%s', async (_name, props, message) => {
      describes(block);
      const wrong = event('Create', {
        CapacityReservationId: BLOCK_ID,
        CapacityType: 'capacity-block',
        NodeCount: '4',
        ...props,
      });
      await expect(handler(wrong)).rejects.toThrow(message);
      expect(ec2).not.toHaveReceivedCommand(DescribeCapacityReservationsCommand);
    });
  });

  describe('an update that keeps the reservation (a rollback among them)', () => {
    const properties = { CapacityReservationId: BLOCK_ID, CapacityType: 'capacity-block', NodeCount: '4' };
    /** An Update whose old properties differ from the new ones by `old`. */
    const update = (old: object, now: object = {}) => {
      const base = event('Update', { ...properties, ...now }, 'use1-az5');
      return { ...base, OldResourceProperties: { ...base.ResourceProperties, ...old } } as typeof base;
    };
    const expired = { ...block, State: 'expired' as const, EndDate: new Date(Date.now() - 3_600_000) };

    test('keeps the current zone when the reservation has since expired, instead of failing the rollback', async () => {
      describes(expired);
      await expect(handler(update({}))).resolves.toEqual({
        PhysicalResourceId: 'use1-az5',
        Data: { ZoneId: 'use1-az5', ZoneName: 'us-east-1d' },
      });
      expect(ec2).toHaveReceivedCommandWith(DescribeCapacityReservationsCommand, {
        CapacityReservationIds: [BLOCK_ID],
      });
      expect(ec2).not.toHaveReceivedCommand(DescribeAvailabilityZonesCommand);
    });

    test('keeps the current zone when EC2 no longer knows the reservation, naming the zone from EC2', async () => {
      ec2
        .on(DescribeCapacityReservationsCommand)
        .rejects(Object.assign(new Error('gone'), { name: 'InvalidCapacityReservationId.NotFound' }));
      ec2.on(DescribeAvailabilityZonesCommand).resolves({
        AvailabilityZones: [...ZONES, { ZoneId: 'use1-az5', ZoneName: 'us-east-1d' }],
      });
      await expect(handler(update({}))).resolves.toEqual({
        PhysicalResourceId: 'use1-az5',
        Data: { ZoneId: 'use1-az5', ZoneName: 'us-east-1d' },
      });
      expect(ec2).toHaveReceivedCommandWith(DescribeAvailabilityZonesCommand, {
        Filters: [
          { Name: 'zone-type', Values: ['availability-zone'] },
          { Name: 'state', Values: ['available'] },
        ],
      });
    });

    test('fails, saying both, when the reservation is gone and the current zone is no longer available', async () => {
      ec2.on(DescribeCapacityReservationsCommand).resolves({ CapacityReservations: [] });
      await expect(handler(update({}))).rejects.toThrow(
        'is not shared with this account. Check the ID, and the config key "region" if the reservation is in another Region. In us-east-1, the current zone use1-az5 is not an available zone either.',
      );
    });

    test('an update to another reservation that has ended still fails', async () => {
      describes(expired);
      await expect(handler(update({ CapacityReservationId: 'cr-0aaaaaaaaaaaaaaaa' }))).rejects.toThrow(
        `Capacity reservation ${BLOCK_ID} (config key "capacityReservationId") is expired`,
      );
    });

    test('does not re-check the size of an unchanged reservation with an unchanged nodeCount', async () => {
      describes({ ...block, TotalInstanceCount: 2, Tags: [] });
      await expect(handler(update({}))).resolves.toMatchObject({ PhysicalResourceId: 'use1-az5' });
    });

    test('checks the size when nodeCount changes', async () => {
      describes({ ...block, TotalInstanceCount: 4, Tags: [] });
      await expect(handler(update({ NodeCount: '4' }, { NodeCount: '8' }))).rejects.toThrow(
        'holds 4 instances, fewer than the config key "nodeCount" (8)',
      );
    });

    test('still checks what the config can change: the placement group, the instance type', async () => {
      describes({ ...block, PlacementGroupArn: PG_ARN });
      await expect(handler(update({}))).rejects.toThrow('set reservationPlacementGroup to odcr-pg (it is unset)');
      describes(block);
      await expect(handler(update({}, { NodeCount: '4' }))).resolves.toMatchObject({ PhysicalResourceId: 'use1-az5' });
      const other = event('Update', { ...properties, InstanceType: 'trn1n.32xlarge' }, 'use1-az5');
      await expect(handler(other)).rejects.toThrow(
        'is for trn1.32xlarge, not trn1n.32xlarge (config key "instanceType")',
      );
    });
  });
});
