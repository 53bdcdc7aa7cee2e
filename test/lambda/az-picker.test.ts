import {
  DescribeAvailabilityZonesCommand,
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
  props: { InstanceType?: string; RequestedZoneId?: string } = {},
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
