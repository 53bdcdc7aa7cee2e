import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { CptConfig } from '../config/schema';
import { TrainiumNetwork } from '../network/trainium-network';
import { isReservedKind } from '../config/capacity';
import { TrainiumZone } from '../network/trainium-zone';
import { addOutputs } from './outputs';

export interface NetworkStackProps extends StackProps {
  readonly config: Pick<
    CptConfig,
    | 'instanceType'
    | 'trainiumAz'
    | 'vpcCidr'
    | 'capacityType'
    | 'capacityReservationId'
    | 'reservationPlacementGroup'
    | 'nodeCount'
  >;
}

/** The VPC of the cluster, in the one Availability Zone of the Region that offers the Trainium instance type. */
export class NetworkStack extends Stack {
  readonly vpc: ec2.IVpc;
  readonly publicSubnet: ec2.ISubnet;
  readonly privateSubnet: ec2.ISubnet;
  readonly efaSecurityGroup: ec2.ISecurityGroup;
  readonly zoneId: string;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = props;

    const zone = new TrainiumZone(this, 'TrainiumZone', {
      instanceType: config.instanceType,
      requestedZoneId: config.trainiumAz,
      capacityReservation:
        config.capacityReservationId !== undefined && isReservedKind(config.capacityType)
          ? {
              id: config.capacityReservationId,
              kind: config.capacityType,
              nodeCount: config.nodeCount,
              placementGroup: config.reservationPlacementGroup,
            }
          : undefined,
    });
    const network = new TrainiumNetwork(this, 'Network', { availabilityZone: zone.zoneName, cidr: config.vpcCidr });

    this.vpc = network.vpc;
    this.publicSubnet = network.publicSubnet;
    this.privateSubnet = network.privateSubnet;
    this.efaSecurityGroup = network.efaSecurityGroup;
    this.zoneId = zone.zoneId;

    addOutputs(this, {
      VpcId: [network.vpc.vpcId, 'VPC of the cluster'],
      PublicSubnetId: [network.publicSubnet.subnetId, 'Subnet of the head node'],
      PrivateSubnetId: [network.privateSubnet.subnetId, 'Subnet of the Trainium compute nodes and FSx for Lustre'],
      EfaSecurityGroupId: [network.efaSecurityGroup.securityGroupId],
      TrainiumAzId: [zone.zoneId, `Zone ID that offers ${config.instanceType}`],
      TrainiumAzName: [zone.zoneName, 'The same zone, by its name in this account'],
    });
  }
}
