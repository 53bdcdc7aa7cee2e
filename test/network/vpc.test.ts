import { Match } from 'aws-cdk-lib/assertions';
import { networkTemplate } from '../support/app';
import { expectResources } from '../support/resources';

const zoneName = { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrainiumZone'), 'ZoneName'] };

describe('VPC of the cluster', () => {
  const template = networkTemplate();

  test('has DNS support and host names, in the configured range', () => {
    expectResources(template, 'AWS::EC2::VPC', {
      CidrBlock: '10.0.0.0/16',
      EnableDnsSupport: true,
      EnableDnsHostnames: true,
    });
  });

  test('has one public and one private subnet, both in the zone the picker chose', () => {
    expectResources(
      template,
      'AWS::EC2::Subnet',
      { AvailabilityZone: zoneName, MapPublicIpOnLaunch: true, CidrBlock: '10.0.0.0/24' },
      { AvailabilityZone: zoneName, MapPublicIpOnLaunch: false, CidrBlock: '10.0.16.0/20' },
    );
  });

  test('sends the public subnet to an internet gateway and the private one through a NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::InternetGateway', 1);
    expectResources(template, 'AWS::EC2::NatGateway', { SubnetId: { Ref: Match.stringLikeRegexp('headSubnet') } });
    template.hasResourceProperties('AWS::EC2::Route', {
      DestinationCidrBlock: '0.0.0.0/0',
      GatewayId: { Ref: Match.stringLikeRegexp('IGW') },
      RouteTableId: { Ref: Match.stringLikeRegexp('headSubnet') },
    });
    template.hasResourceProperties('AWS::EC2::Route', {
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: { Ref: Match.stringLikeRegexp('headSubnet.*NATGateway') },
      RouteTableId: { Ref: Match.stringLikeRegexp('computeSubnet') },
    });
  });

  test('takes its range from the config', () => {
    networkTemplate({ vpcCidr: '172.20.0.0/18' }).hasResourceProperties('AWS::EC2::VPC', {
      CidrBlock: '172.20.0.0/18',
    });
  });

  test('strips every rule from the default security group', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });
});
