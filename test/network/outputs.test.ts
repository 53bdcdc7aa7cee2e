import { networkTemplate } from '../support/app';

test('the stack outputs the VPC, its subnets, the EFA group and the chosen zone', () => {
  const outputs = networkTemplate().findOutputs('*');
  // PublishOutput*: what CDK adds for the cluster stack's references to this one.
  expect(
    Object.keys(outputs)
      .filter((name) => !name.startsWith('PublishOutput'))
      .sort(),
  ).toEqual(
    ['EfaSecurityGroupId', 'PrivateSubnetId', 'PublicSubnetId', 'TrainiumAzId', 'TrainiumAzName', 'VpcId'].sort(),
  );
  expect(outputs.TrainiumAzId.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^TrainiumZone/), 'ZoneId'] });
  expect(outputs.PrivateSubnetId.Value).toEqual({ Ref: expect.stringMatching(/computeSubnet/) });
  expect(outputs.PublicSubnetId.Value).toEqual({ Ref: expect.stringMatching(/headSubnet/) });
});
