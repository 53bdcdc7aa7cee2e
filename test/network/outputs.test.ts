import { networkTemplate } from '../support/app';
import { documentedOutputs } from '../support/resources';

test('the stack outputs the VPC, its subnets, the EFA group and the chosen zone', () => {
  const outputs = documentedOutputs(networkTemplate());
  expect(Object.keys(outputs).sort()).toEqual(
    ['EfaSecurityGroupId', 'PrivateSubnetId', 'PublicSubnetId', 'TrainiumAzId', 'TrainiumAzName', 'VpcId'].sort(),
  );
  expect(outputs.TrainiumAzId.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^TrainiumZone/), 'ZoneId'] });
  expect(outputs.PrivateSubnetId.Value).toEqual({ Ref: expect.stringMatching(/computeSubnet/) });
  expect(outputs.PublicSubnetId.Value).toEqual({ Ref: expect.stringMatching(/headSubnet/) });
});
