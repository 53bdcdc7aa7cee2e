import { Match } from 'aws-cdk-lib/assertions';
import { networkTemplate } from '../support/app';

const template = networkTemplate();

test('an S3 gateway endpoint serves both subnets, so data and checkpoints skip the NAT gateway', () => {
  template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
  template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
    VpcEndpointType: 'Gateway',
    ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
    RouteTableIds: Match.arrayWith([
      { Ref: Match.stringLikeRegexp('computeSubnet.*RouteTable') },
      { Ref: Match.stringLikeRegexp('headSubnet.*RouteTable') },
    ]),
  });
});

test('flow logs record all traffic of the VPC to a log group that destroy removes', () => {
  template.hasResourceProperties('AWS::EC2::FlowLog', {
    ResourceType: 'VPC',
    TrafficType: 'ALL',
    LogDestinationType: 'cloud-watch-logs',
    LogGroupName: { Ref: Match.stringLikeRegexp('FlowLogs') },
  });
  template.hasResource('AWS::Logs::LogGroup', {
    Properties: { RetentionInDays: 90 },
    DeletionPolicy: 'Delete',
    UpdateReplacePolicy: 'Delete',
  });
});
