import * as path from 'path';
import { Aws, CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { functionLogGroup, roleWritingTo } from '../shared/function-role';
import { PclusterConfig } from './cluster-config';
import { CLUSTER_NAME_TAG_KEY, FsxExportProperties, fsxExportTargets } from './fsx-export-targets';
import { ParallelCluster } from './parallel-cluster';

/**
 * The timing of a delete, all inside CloudFormation's limit for a custom resource (ServiceTimeout: 1 to 3,600 s):
 * - every QUERY_INTERVAL the waiter asks the isComplete function how the exports are doing (and logs it);
 * - after `exportTimeout` (50 min by default) the function fails the delete itself, naming the task and its state;
 * - the provider's own timeout (PROVIDER_MARGIN later) is a backstop that only says "Operation timed out";
 * - CloudFormation waits SERVICE_MARGIN more (the onEvent call before the waiter starts, the response after it).
 * 50 + 5 + 3 = 58 minutes (3,480 s).
 */
export const QUERY_INTERVAL = Duration.seconds(30);
export const DEFAULT_EXPORT_TIMEOUT = Duration.minutes(50);
export const PROVIDER_MARGIN = Duration.minutes(5);
export const SERVICE_MARGIN = Duration.minutes(3);
/** CloudFormation's upper bound for a custom resource's ServiceTimeout. */
export const CLOUDFORMATION_LIMIT = Duration.hours(1);

export interface FsxExportOnDeleteProps {
  /** The cluster whose FSx file systems are flushed before it is deleted. */
  readonly cluster: Pick<ParallelCluster, 'clusterName' | 'resource'>;
  /** Its configuration: the associations with an AutoExportPolicy say what to export. */
  readonly configuration: PclusterConfig;
  /**
   * How long a delete waits for the exports before it fails (and leaves the cluster in place).
   * @default Duration.minutes(50), also the most that fits in CloudFormation's hour with the margins above
   */
  readonly exportTimeout?: Duration;
  /**
   * Retention of the functions' and the waiter's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Before CloudFormation deletes the cluster, flushes its FSx for Lustre file systems to S3: automatic export is
 * asynchronous, so the newest checkpoints may not be in S3 yet when `cdk destroy` deletes the file system. The
 * resource depends on the cluster's custom resource, so CloudFormation deletes it (and so waits for the export)
 * first; if the export fails or does not finish in time, the delete fails and the cluster stays. Create and Update
 * do nothing. The Lambda is lambda/fsx-export.
 */
export class FsxExportOnDelete extends Construct {
  readonly resource: CustomResource;
  /** Timings, for tests and the README. */
  readonly exportTimeout: Duration;
  readonly totalTimeout: Duration;
  readonly serviceTimeout: Duration;

  constructor(scope: Construct, id: string, props: FsxExportOnDeleteProps) {
    super(scope, id);
    this.exportTimeout = props.exportTimeout ?? DEFAULT_EXPORT_TIMEOUT;
    this.totalTimeout = this.exportTimeout.plus(PROVIDER_MARGIN);
    this.serviceTimeout = this.totalTimeout.plus(SERVICE_MARGIN);
    if (this.serviceTimeout.toSeconds() > CLOUDFORMATION_LIMIT.toSeconds()) {
      throw new Error(
        `FsxExportOnDelete: exportTimeout ${this.exportTimeout.toMinutes()} min leaves no room within CloudFormation's ` +
          `${CLOUDFORMATION_LIMIT.toMinutes()} min for a custom resource; at most ${CLOUDFORMATION_LIMIT.minus(PROVIDER_MARGIN).minus(SERVICE_MARGIN).toMinutes()} min.`,
      );
    }
    const clusterName = props.cluster.clusterName;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    const locateLogs = functionLogGroup(this, 'LocateLogs', retention);
    const exportLogs = functionLogGroup(this, 'ExportLogs', retention);
    const providerLogs = functionLogGroup(this, 'ProviderLogs', retention);
    const waiterLogs = functionLogGroup(this, 'WaiterLogs', retention);
    const locateRole = roleWritingTo(this, 'LocateRole', locateLogs);
    const exportRole = roleWritingTo(this, 'ExportRole', exportLogs);
    const frameworkOnEventRole = roleWritingTo(this, 'FrameworkOnEventRole', providerLogs);
    const frameworkWaiterRole = roleWritingTo(this, 'FrameworkWaiterRole', providerLogs);

    const locate = this.handler(
      'Locate',
      'onEvent',
      locateLogs,
      locateRole,
      "Finds the cluster's FSx file systems on delete",
    );
    const exporter = this.handler(
      'Export',
      'isComplete',
      exportLogs,
      exportRole,
      "Exports the cluster's FSx to S3 and waits for it",
    );
    this.grantLocate(locateRole, clusterName);
    this.grantExport(exportRole, clusterName);

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: locate,
      isCompleteHandler: exporter,
      queryInterval: QUERY_INTERVAL,
      totalTimeout: this.totalTimeout,
      logGroup: providerLogs,
      frameworkOnEventRole,
      frameworkCompleteAndTimeoutRole: frameworkWaiterRole,
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: waiterLogs, level: sfn.LogLevel.ALL },
    });

    const properties: FsxExportProperties = {
      ClusterName: clusterName,
      Targets: fsxExportTargets(props.configuration),
      ExportTimeoutSeconds: String(this.exportTimeout.toSeconds()),
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::FsxExportOnDelete',
      serviceTimeout: this.serviceTimeout,
      properties: { ...properties },
    });
    // CloudFormation deletes dependants first: this resource, and so the export, before the cluster.
    this.resource.node.addDependency(props.cluster.resource);

    this.acknowledgeNagFindings({
      locate,
      exporter,
      locateRole,
      exportRole,
      frameworkOnEventRole,
      frameworkWaiterRole,
      provider,
      clusterName,
    });
  }

  private handler(
    id: string,
    handler: string,
    logGroup: logs.ILogGroup,
    role: iam.IRole,
    description: string,
  ): NodejsFunction {
    return new NodejsFunction(this, id, {
      entry: path.join(__dirname, '..', '..', 'lambda', 'fsx-export', 'index.ts'),
      handler,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // A few API calls each time; the waiting happens between calls, in the provider's state machine.
      timeout: Duration.minutes(1),
      memorySize: 256,
      description,
      logGroup,
      role,
      // Bundle the pinned SDK rather than use whichever version the runtime ships.
      bundling: { minify: true, externalModules: [], target: 'node24' },
    });
  }

  /** onEvent reads the cluster's stack (only that stack, by name) and describes the file systems it names. */
  private grantLocate(role: iam.Role, clusterName: string): void {
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudformation:ListStackResources'],
        resources: [accountArn('cloudformation', clusterStackResource(clusterName))],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['fsx:DescribeFileSystems'], resources: ['*'] }));
  }

  /**
   * isComplete lists the file system's tasks and starts the export. CreateDataRepositoryTask authorizes two
   * resources, the file system and the new task (Service Authorization Reference for Amazon FSx): the file system
   * must carry the cluster's name tag; the task's ID does not exist before the call. The request carries no Tags, so
   * FSx asks for no fsx:TagResource (FSx user guide, "Grant permission to tag resources during creation").
   */
  private grantExport(role: iam.Role, clusterName: string): void {
    role.addToPolicy(new iam.PolicyStatement({ actions: ['fsx:DescribeDataRepositoryTasks'], resources: ['*'] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['fsx:CreateDataRepositoryTask'],
        resources: [accountArn('fsx', 'file-system/*')],
        conditions: { StringEquals: { [`aws:ResourceTag/${CLUSTER_NAME_TAG_KEY}`]: clusterName } },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['fsx:CreateDataRepositoryTask'], resources: [accountArn('fsx', 'task/*')] }),
    );
  }

  private acknowledgeNagFindings(parts: {
    locate: NodejsFunction;
    exporter: NodejsFunction;
    locateRole: iam.IRole;
    exportRole: iam.IRole;
    frameworkOnEventRole: iam.IRole;
    frameworkWaiterRole: iam.IRole;
    provider: cr.Provider;
    clusterName: string;
  }): void {
    const stack = Stack.of(this);
    const functionArn = (fn: lambda.Function) =>
      `<${stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*`;
    Validations.of(parts.locateRole).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'fsx:DescribeFileSystems supports no resource-level permissions (Service Authorization Reference); read-only.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagAccountArn('cloudformation', clusterStackResource(parts.clusterName))}]`,
        reason:
          "ParallelCluster's stack of this cluster, by name: its stack ID is unknown until ParallelCluster creates it.",
      },
    );
    Validations.of(parts.exportRole).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'fsx:DescribeDataRepositoryTasks supports no resource-level permissions (Service Authorization Reference); read-only.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagAccountArn('fsx', 'file-system/*')}]`,
        reason:
          'ParallelCluster creates the file system with the cluster: its ID is unknown here, so the grant requires its cluster-name tag.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagAccountArn('fsx', 'task/*')}]`,
        reason:
          'CreateDataRepositoryTask authorizes the task it creates, whose ID FSx assigns in that call; the file system is tag-scoped.',
      },
    );
    // CDK's framework functions may each invoke both handlers (Provider.addPermissions), whatever their role.
    for (const role of [parts.frameworkOnEventRole, parts.frameworkWaiterRole]) {
      Validations.of(role).acknowledge(
        ...[parts.locate, parts.exporter].map((fn) => ({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::${functionArn(fn)}]`,
          reason:
            'The provider framework may invoke any version of this function (grantInvoke), and only this function.',
        })),
      );
    }
    const waiter = parts.provider.node.findChild('waiter-state-machine');
    const frameworkFunction = (id: string) => parts.provider.node.findChild(id) as lambda.Function;
    Validations.of(waiter).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery and the like) supports no resource-level permissions.',
      },
      ...['framework-isComplete', 'framework-onTimeout'].map((id) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${functionArn(frameworkFunction(id))}]`,
        reason:
          'The waiter may invoke any version of the provider framework function it polls with, and only that function.',
      })),
      {
        id: 'AwsSolutions::AwsSolutions-SF2',
        reason:
          "CDK's waiter state machine has no tracing option; it only calls two framework functions, and logs ALL events.",
      },
    );
  }
}

/** An ARN of this partition, Region and account, in pseudo parameters whatever the stack's environment. */
function accountArn(service: string, resource: string): string {
  return `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
}

/** The same ARN as cdk-nag's findings show it: pseudo parameters in angle brackets. */
function nagAccountArn(service: string, resource: string): string {
  return `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}`;
}

/** ParallelCluster's stack of the cluster: it names the stack after the cluster (pcluster/models/cluster.py, stack_name). */
function clusterStackResource(clusterName: string): string {
  return `stack/${clusterName}/*`;
}
