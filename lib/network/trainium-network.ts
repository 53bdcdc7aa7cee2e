import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ownHandlerLogGroup } from '../shared/handler-log-group';

export interface TrainiumNetworkProps {
  /** Name of the one Availability Zone everything is placed in (a token is fine). */
  readonly availabilityZone: string;
  /** IPv4 range of the VPC, /16 to /20. */
  readonly cidr: string;
  /**
   * Retention of the VPC flow logs.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly flowLogRetention?: logs.RetentionDays;
}

/** Public subnet /24 for the head node; private /20 for Trainium nodes, FSx, and their EFA interfaces (up to 16 a node). */
const PUBLIC_SUBNET_MASK = 24;
const PRIVATE_SUBNET_MASK = 20;

/**
 * A VPC for one Trainium cluster, all in one Availability Zone so that the head node, FSx for Lustre and the compute
 * nodes talk without cross-AZ traffic: a public subnet (head node), a private subnet behind a NAT gateway (compute
 * nodes, which EFA requires to have no public IP), an S3 gateway endpoint, flow logs, and a security group for EFA.
 */
export class TrainiumNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly publicSubnet: ec2.ISubnet;
  readonly privateSubnet: ec2.ISubnet;
  /** EFA needs all traffic allowed between the interfaces of the cluster: attach this group to every node. */
  readonly efaSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: TrainiumNetworkProps) {
    super(scope, id);

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: [props.availabilityZone],
      enableDnsSupport: true,
      enableDnsHostnames: true,
      natGateways: 1,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        { name: 'head', subnetType: ec2.SubnetType.PUBLIC, cidrMask: PUBLIC_SUBNET_MASK, mapPublicIpOnLaunch: true },
        { name: 'compute', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: PRIVATE_SUBNET_MASK },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
    [this.publicSubnet] = this.vpc.publicSubnets;
    [this.privateSubnet] = this.vpc.privateSubnets;

    this.efaSecurityGroup = new ec2.SecurityGroup(this, 'EfaSecurityGroup', {
      vpc: this.vpc,
      description: 'EFA: all traffic to and from members of this group only',
      allowAllOutbound: false,
    });
    this.efaSecurityGroup.connections.allowInternally(ec2.Port.allTraffic(), 'EFA traffic between cluster nodes');
    keepNoTrafficEgressPlaceholder(this.efaSecurityGroup);

    ownHandlerLogGroup(
      this,
      'DefaultSecurityGroupHandlerLogs',
      'Custom::VpcRestrictDefaultSGCustomResourceProvider',
      this.vpc.node.tryFindChild('RestrictDefaultSecurityGroupCustomResource'),
    );
  }
}

/**
 * A group whose template lists no inline egress gets EC2's default allow-all egress rule. CDK drops its deny-all
 * placeholder as soon as any egress rule is added, even one (like a self-reference) written as a separate resource,
 * so put the placeholder back: egress then stays limited to the group itself.
 */
function keepNoTrafficEgressPlaceholder(group: ec2.SecurityGroup): void {
  (group.node.defaultChild as ec2.CfnSecurityGroup).addPropertyOverride('SecurityGroupEgress', [
    {
      CidrIp: '255.255.255.255/32',
      Description: 'Disallow all traffic',
      IpProtocol: 'icmp',
      FromPort: 252,
      ToPort: 86,
    },
  ]);
}
