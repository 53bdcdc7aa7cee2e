import { Match } from 'aws-cdk-lib/assertions';
import { networkTemplate } from '../support/app';

describe('the zone picker custom resource', () => {
  const template = networkTemplate();

  test('asks for a zone offering the configured instance type, automatically by default', () => {
    template.hasResourceProperties('Custom::TrainiumAvailabilityZone', {
      InstanceType: 'trn1n.32xlarge',
      RequestedZoneId: 'auto',
      ServiceTimeout: '300',
    });
  });

  test('passes an explicit zone ID on, to be checked at deploy time', () => {
    networkTemplate({ trainiumAz: 'use1-az6', instanceType: 'trn1.32xlarge' }).hasResourceProperties(
      'Custom::TrainiumAvailabilityZone',
      { InstanceType: 'trn1.32xlarge', RequestedZoneId: 'use1-az6' },
    );
  });

  test("passes a capacity reservation on, whose zone becomes the cluster's; none by default", () => {
    networkTemplate({
      capacityType: 'capacity-block',
      capacityReservationId: 'cr-0123456789abcdef0',
      instanceType: 'trn1.32xlarge',
    }).hasResourceProperties('Custom::TrainiumAvailabilityZone', {
      InstanceType: 'trn1.32xlarge',
      RequestedZoneId: 'auto',
      CapacityReservationId: 'cr-0123456789abcdef0',
      CapacityType: 'capacity-block',
      NodeCount: 16,
      ReservationPlacementGroup: Match.absent(),
    });
    template.hasResourceProperties('Custom::TrainiumAvailabilityZone', {
      CapacityReservationId: Match.absent(),
      CapacityType: Match.absent(),
      NodeCount: Match.absent(),
      ReservationPlacementGroup: Match.absent(),
    });
  });

  test("passes nodeCount and the reservation's placement group on, for the picker to check against it", () => {
    networkTemplate({
      capacityType: 'reservation',
      capacityReservationId: 'cr-0fedcba9876543210',
      reservationPlacementGroup: 'odcr-pg',
      nodeCount: 16,
    }).hasResourceProperties('Custom::TrainiumAvailabilityZone', {
      CapacityReservationId: 'cr-0fedcba9876543210',
      CapacityType: 'reservation',
      NodeCount: 16,
      ReservationPlacementGroup: 'odcr-pg',
    });
  });

  test('with a reservation, the picker may also describe capacity reservations, in its own Region only', () => {
    const withReservation = networkTemplate({
      capacityType: 'reservation',
      capacityReservationId: 'cr-0fedcba9876543210',
    });
    const policies = withReservation.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^TrainiumZonePickerRole') }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'ec2:DescribeCapacityReservations',
      Resource: '*',
      Condition: { StringEquals: { 'ec2:Region': { Ref: 'AWS::Region' } } },
    });
  });

  test('runs on a current Node.js runtime with a bounded timeout', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Availability Zone'),
      Runtime: 'nodejs24.x',
      Timeout: 120,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('PickerLogs') } },
    });
  });

  /** The statements of every policy attached to the role whose logical ID starts with `rolePrefix`. */
  function statementsOfRole(rolePrefix: string) {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }] },
    });
    return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
  }

  const writesToItsLogGroup = (logGroupPrefix: string) =>
    expect.objectContaining({
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${logGroupPrefix}`)), 'Arn'] },
    });
  const picker = { 'Fn::GetAtt': [expect.stringMatching(/^TrainiumZonePicker[0-9A-F]{8}$/), 'Arn'] };

  test('the picker may call three read-only EC2 APIs and write its own logs, nothing more', () => {
    expect(statementsOfRole('TrainiumZonePickerRole')).toEqual([
      writesToItsLogGroup('TrainiumZonePickerLogs'),
      {
        Effect: 'Allow',
        Action: ['ec2:DescribeAvailabilityZones', 'ec2:DescribeInstanceTypeOfferings', 'ec2:DescribeRegions'],
        Resource: '*',
      },
    ]);
  });

  test('the provider framework may look up and invoke the picker and write its own logs, nothing more', () => {
    expect(statementsOfRole('TrainiumZoneProviderRole')).toEqual([
      writesToItsLogGroup('TrainiumZoneProviderLogs'),
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Resource: [picker, { 'Fn::Join': ['', [picker, ':*']] }],
      }),
      expect.objectContaining({ Action: 'lambda:GetFunction', Resource: picker }),
    ]);
  });

  test('neither role takes an AWS managed policy (the basic execution role may write to any log group)', () => {
    const roles = template.findResources('AWS::IAM::Role');
    const ours = Object.entries(roles).filter(([id]) => id.startsWith('TrainiumZone'));
    expect(ours).toHaveLength(2);
    for (const [, role] of ours) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('every log group of the stack is removed by cdk destroy', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups).length).toBe(4);
    for (const group of Object.values(groups)) {
      expect(group.DeletionPolicy).toBe('Delete');
      expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  test("CDK's default-security-group handler logs to a group the stack owns, created before it runs", () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': [
          '',
          ['/aws/lambda/', { Ref: Match.stringLikeRegexp('^CustomVpcRestrictDefaultSGCustomResourceProviderHandler') }],
        ],
      },
    });
    template.hasResource('Custom::VpcRestrictDefaultSG', {
      DependsOn: [Match.stringLikeRegexp('DefaultSecurityGroupHandlerLogs')],
    });
  });
});
