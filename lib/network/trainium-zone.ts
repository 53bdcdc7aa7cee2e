import * as path from 'path';
import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { describeCapacityReservationsStatement } from '../shared/describe-capacity-reservations';
import { functionLogGroup, roleWritingTo } from '../shared/function-role';
import type { ReservedKind } from '../config/capacity';

export interface TrainiumZoneProps {
  /** Instance type the zone must offer. */
  readonly instanceType: string;
  /**
   * Zone ID to use (checked at deploy time), or `auto` to pick one.
   * @default 'auto'
   */
  readonly requestedZoneId?: string;
  /**
   * The capacity reservation the Trainium nodes run in (config keys capacityReservationId, capacityType,
   * reservationPlacementGroup and nodeCount): its zone becomes the cluster's, checked at deploy time against the
   * instance type, requestedZoneId, the placement group and the node count.
   * @default - no reservation: any zone that offers the instance type
   */
  readonly capacityReservation?: {
    readonly id: string;
    readonly kind: ReservedKind;
    /** Nodes the queue launches into it at most (MaxCount): the reservation must hold at least as many. */
    readonly nodeCount: number;
    /** The cluster placement group the queue uses (reservationPlacementGroup); unset, none. */
    readonly placementGroup?: string;
  };
  /**
   * Retention of the picker's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The Availability Zone of the Trainium cluster, decided at deploy time by a Lambda that asks EC2 which zones offer
 * the instance type. Zone names map to different physical zones in each account, so nothing here is hard-coded.
 */
export class TrainiumZone extends Construct {
  /** Zone ID, such as use1-az6 (a token). */
  readonly zoneId: string;
  /** Zone name in this account, such as us-east-1c (a token). */
  readonly zoneName: string;

  constructor(scope: Construct, id: string, props: TrainiumZoneProps) {
    super(scope, id);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const pickerLogs = functionLogGroup(this, 'PickerLogs', retention);
    const providerLogs = functionLogGroup(this, 'ProviderLogs', retention);
    const pickerRole = roleWritingTo(this, 'PickerRole', pickerLogs);
    const providerRole = roleWritingTo(this, 'ProviderRole', providerLogs);

    const picker = new NodejsFunction(this, 'Picker', {
      entry: path.join(__dirname, '..', '..', 'lambda', 'az-picker', 'index.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.minutes(2),
      memorySize: 256,
      description: 'Picks an Availability Zone that offers the Trainium instance type',
      logGroup: pickerLogs,
      role: pickerRole,
      // Bundle the pinned SDK rather than use whichever version the runtime ships.
      bundling: { minify: true, externalModules: [], target: 'node24' },
    });
    picker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ec2:DescribeInstanceTypeOfferings', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeRegions'],
        resources: ['*'],
      }),
    );

    if (props.capacityReservation) {
      picker.addToRolePolicy(describeCapacityReservationsStatement(Stack.of(this)));
    }

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: picker,
      logGroup: providerLogs,
      frameworkOnEventRole: providerRole,
    });

    const zone = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::TrainiumAvailabilityZone',
      serviceTimeout: Duration.minutes(5),
      properties: {
        InstanceType: props.instanceType,
        RequestedZoneId: props.requestedZoneId ?? 'auto',
        ...reservationProperties(props.capacityReservation),
      },
    });
    this.zoneId = zone.getAttString('ZoneId');
    this.zoneName = zone.getAttString('ZoneName');

    this.acknowledgeNagFindings(picker, pickerRole, providerRole);
  }

  private acknowledgeNagFindings(picker: NodejsFunction, pickerRole: iam.IRole, providerRole: iam.IRole): void {
    Validations.of(pickerRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'EC2 Describe* calls support no resource-level permissions (Service Authorization Reference: no resource type for DescribeInstanceTypeOfferings, DescribeAvailabilityZones, DescribeRegions, DescribeCapacityReservations); the role allows only these read-only calls, the last in its own Region.',
    });
    const pickerId = Stack.of(this).getLogicalId(picker.node.defaultChild as lambda.CfnFunction);
    Validations.of(providerRole).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${pickerId}.Arn>:*]`,
      reason: 'The provider framework may invoke any version of the picker function, and only that function.',
    });
  }
}

/** The picker's properties for a reservation (lambda/az-picker/index.ts reads them); none without one. */
function reservationProperties(reservation: TrainiumZoneProps['capacityReservation']): Record<string, string | number> {
  if (reservation === undefined) return {};
  return {
    CapacityReservationId: reservation.id,
    CapacityType: reservation.kind,
    NodeCount: reservation.nodeCount,
    ...(reservation.placementGroup !== undefined ? { ReservationPlacementGroup: reservation.placementGroup } : {}),
  };
}
