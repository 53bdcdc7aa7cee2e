import * as path from 'path';
import { ArnFormat, Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { nagResourceName } from '../shared/nag';
import { CptConfig } from '../config/schema';
import { DATASETS_PREFIX } from '../data/job-arguments';
import { BUNDLE_DIR_PATTERN, TRAINING_ROOT } from './contract';
import { ENV } from './environment';
import { trainingDefaults } from './plan';

/**
 * Bundle ID the function uses until the change that delivers cluster/training/ to FSx sets the real one: the
 * function then runs `/fsx/trainium-cpt/training/<that id>/cpt-run.sh`.
 */
/** The SSM document the function runs, and the only one it may run. */
export const RUN_SHELL_SCRIPT = 'AWS-RunShellScript';
/** The manifests of tokenization runs, the only objects the function reads. */
export const MANIFEST_OBJECTS = `${DATASETS_PREFIX}*/manifest.json`;

export interface TrainingFunctionProps {
  readonly config: CptConfig;
  /** EC2 instance ID of the cluster's head node. */
  readonly headNodeInstanceId: string;
  /** Bucket of the tokenized datasets: the function reads run manifests from it. */
  readonly datasetsBucketName: string;
  /** Bucket of checkpoints: the script exports models and reports there. */
  readonly checkpointsBucketName: string;
  /** Passed to the script, whose training jobs download the base model with it. */
  readonly hfTokenSecretArn: string;
  /** The tokenization job: with autoSubmitOnDataReady, its successful runs submit training. */
  readonly tokenizeJobName: string;
  /** Folder of the training bundle on FSx (holds cpt-run.sh): the cluster stack's TrainingBundle.dir. */
  readonly bundleDir: string;
  /**
   * Retention of the function's logs.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The function that submits, reports and cancels training runs on the cluster through SSM Run Command, with a role
 * that may run one document on one instance, read run manifests, and write its own logs; and, with
 * autoSubmitOnDataReady, the EventBridge rule that submits a run when its tokenization succeeds.
 */
export class TrainingFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Only with autoSubmitOnDataReady. */
  readonly dataReadyRule?: events.Rule;

  constructor(scope: Construct, id: string, props: TrainingFunctionProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    const bundleDir = props.bundleDir;
    if (!BUNDLE_DIR_PATTERN.test(bundleDir)) {
      throw new Error(
        `Training bundle folder ${JSON.stringify(bundleDir)}: must be a folder directly under ${TRAINING_ROOT}/`,
      );
    }
    const auto = config.autoSubmitOnDataReady;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role that may write to its own log group only (the managed basic role may write to any).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the training script on the head node through SSM Run Command',
    });
    this.logGroup.grantWrite(this.role);

    const environment: Record<string, string> = {
      [ENV.bundleDir]: bundleDir,
      [ENV.defaults]: JSON.stringify(trainingDefaults(config)),
      [ENV.headNodeInstanceId]: props.headNodeInstanceId,
      [ENV.datasetsBucket]: props.datasetsBucketName,
      [ENV.checkpointsBucket]: props.checkpointsBucketName,
      [ENV.hfTokenSecretArn]: props.hfTokenSecretArn,
    };
    if (auto) environment[ENV.tokenizeJobName] = props.tokenizeJobName;

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(__dirname, '..', '..', 'lambda', 'submit', 'index.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // The head node answers in seconds; the function waits up to its timeout less 15 s, then says how to look.
      timeout: Duration.minutes(5),
      memorySize: 256,
      description: 'Submits, reports and cancels training runs on the cluster (cpt-run.sh through SSM Run Command)',
      logGroup: this.logGroup,
      role: this.role,
      environment,
      // Bundle the pinned SDK rather than use whichever version the runtime ships.
      bundling: { minify: true, externalModules: [], target: 'node24' },
    });

    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: [
          stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: props.headNodeInstanceId }),
          stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: RUN_SHELL_SCRIPT }),
        ],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ssm:GetCommandInvocation'], resources: ['*'] }),
    );
    const manifestObjects = `arn:${Aws.PARTITION}:s3:::${props.datasetsBucketName}/${MANIFEST_OBJECTS}`;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [manifestObjects] }),
    );

    if (auto) {
      const jobName = props.tokenizeJobName;
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['glue:GetJobRun'],
          resources: [
            stack.formatArn({
              service: 'glue',
              resource: 'job',
              resourceName: jobName,
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
          ],
        }),
      );
      // The Glue event carries the job run's ID, not its arguments: the function reads `--run` from Glue.
      this.dataReadyRule = new events.Rule(this, 'OnDataReady', {
        description: 'Submits training when a run of the tokenization job succeeds',
        eventPattern: {
          source: ['aws.glue'],
          detailType: ['Glue Job State Change'],
          detail: { jobName: [jobName], state: ['SUCCEEDED'] },
        },
        targets: [
          new targets.LambdaFunction(this.function, {
            event: events.RuleTargetInput.fromObject({
              action: 'data-ready',
              jobRunId: events.EventField.fromPath('$.detail.jobRunId'),
            }),
            retryAttempts: 2,
            maxEventAge: Duration.hours(1),
          }),
        ],
      });
    }

    this.acknowledgeNagFindings(manifestObjects);
  }

  private acknowledgeNagFindings(manifestObjects: string): void {
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'ssm:GetCommandInvocation supports no resource-level permissions; it only reads results of commands.',
    });
    // cdk-nag names the resource by its resolved form (the bucket name is another stack's output).
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagResourceName(Stack.of(this).resolve(manifestObjects))}]`,
      reason: MANIFEST_READ_REASON,
    });
  }
}

export const MANIFEST_READ_REASON =
  'The function reads the manifest of whichever run it is asked to train: objects named manifest.json under datasets/ only.';
