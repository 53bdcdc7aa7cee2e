import { Match } from 'aws-cdk-lib/assertions';
import { networkTemplate } from '../support/app';
import { expectResources } from '../support/resources';

const template = networkTemplate();
const efaGroup = { 'Fn::GetAtt': [Match.stringLikeRegexp('EfaSecurityGroup'), 'GroupId'] };

test('the EFA group allows all traffic from itself and nothing else in', () => {
  expectResources(template, 'AWS::EC2::SecurityGroupIngress', {
    IpProtocol: '-1',
    GroupId: efaGroup,
    SourceSecurityGroupId: efaGroup,
  });
});

test('the EFA group allows all traffic to itself and has no other way out', () => {
  expectResources(template, 'AWS::EC2::SecurityGroupEgress', {
    IpProtocol: '-1',
    GroupId: efaGroup,
    DestinationSecurityGroupId: efaGroup,
  });
  // Without an inline egress rule EC2 would add its default allow-all egress: the deny-all placeholder must stay.
  template.hasResourceProperties('AWS::EC2::SecurityGroup', {
    GroupDescription: Match.stringLikeRegexp('EFA'),
    SecurityGroupEgress: [
      {
        CidrIp: '255.255.255.255/32',
        Description: 'Disallow all traffic',
        IpProtocol: 'icmp',
        FromPort: 252,
        ToPort: 86,
      },
    ],
  });
});

test('no security group of the stack is open to the internet', () => {
  const groups = template.findResources('AWS::EC2::SecurityGroup');
  for (const group of Object.values(groups)) {
    for (const rule of group.Properties.SecurityGroupIngress ?? []) {
      expect(rule.CidrIp).not.toBe('0.0.0.0/0');
      expect(rule.CidrIpv6).not.toBe('::/0');
    }
  }
});
