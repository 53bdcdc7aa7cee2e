import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ParallelCluster } from '../cluster/parallel-cluster';
import { CptConfig } from '../config/schema';
import { commandDocumentContent } from './command-document';
import { ENV } from './contract';
import { trainingDefaults } from './plan';
import { describeCapacityReservationsStatement } from '../shared/describe-capacity-reservations';

export interface TrainingFunctionProps {
  readonly config: CptConfig;
  /** The cluster: the function runs the training script on its head node. */
  readonly cluster: Pick<ParallelCluster, 'headNodeInstanceId'>;
  /** Bucket of the tokenized datasets: the function reads run manifests from it. */
  readonly datasetsBucket: s3.IBucket;
  /**
   * What lets the function read run manifests (DataStack.manifestReadPolicy): s3:GetObject on the manifests of the
   * datasets bucket and nothing else of it.
   */
  readonly manifestReadPolicy: iam.IManagedPolicy;
  /** Bucket of checkpoints: the script exports models and reports there. */
  readonly checkpointsBucket: s3.IBucket;
  /** Passed to the script, whose training jobs download the base model with it. */
  readonly hfTokenSecret: secretsmanager.ISecret;
  /** The tokenization job: with autoSubmitOnDataReady, its successful runs submit training. */
  readonly tokenizeJob: glue.IJob;
  /** Folder of the training bundle on FSx (holds cpt-run.sh): the cluster stack's TrainingBundle.dir. */
  readonly bundleDir: string;
  /**
   * Retention of the function's logs.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The function that submits, reports and cancels training runs on the cluster through SSM Run Command, the stack's
 * own Command document it sends (fixed script, checked parameters: lib/training/command-document.ts), a role that may
 * send that document to one instance, read run manifests, write its own logs and, on a Capacity Block, describe
 * capacity reservations; and, with autoSubmitOnDataReady, the EventBridge rule that submits a run when its
 * tokenization succeeds.
 *
 * The buckets, secret, job and cluster may live in other stacks: CDK then reads each value the function needs from
 * its stack's outputs (weak references, see lib/app.ts).
 */
export class TrainingFunction extends Construct {
  readonly function: NodejsFunction;
  /** The Command document that runs cpt-run.sh of the bundle on the head node: the only one the role may send. */
  readonly document: ssm.CfnDocument;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Only with autoSubmitOnDataReady. */
  readonly dataReadyRule?: events.Rule;

  constructor(scope: Construct, id: string, props: TrainingFunctionProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    const auto = config.autoSubmitOnDataReady;

    // A new bundle folder (new scripts) changes the content only: NewVersion updates the document in place, under
    // the name CloudFormation generated at creation, so the function's environment and role do not change with it.
    // (Replace, the default, would create a document under a new name and delete the old one.) The content throws
    // on a bundle folder outside the training root.
    this.document = new ssm.CfnDocument(this, 'CommandDocument', {
      documentType: 'Command',
      content: commandDocumentContent(props.bundleDir),
      updateMethod: 'NewVersion',
    });

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

    const headNodeInstanceId = props.cluster.headNodeInstanceId;
    const environment: Record<string, string> = {
      [ENV.documentName]: this.document.ref,
      [ENV.defaults]: JSON.stringify(trainingDefaults(config)),
      [ENV.headNodeInstanceId]: headNodeInstanceId,
      [ENV.datasetsBucket]: props.datasetsBucket.bucketName,
      [ENV.checkpointsBucket]: props.checkpointsBucket.bucketName,
      [ENV.hfTokenSecretArn]: props.hfTokenSecret.secretArn,
    };
    if (auto) environment[ENV.tokenizeJobName] = props.tokenizeJob.jobName;

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

    // SendCommand is authorized on the document and on each target instance: this document, this head node only.
    // The head node is ParallelCluster's instance, not a CDK construct: no grant method covers it or the document.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: [
          stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: headNodeInstanceId }),
          stack.formatArn({ service: 'ssm', resource: 'document', resourceName: this.document.ref }),
        ],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ssm:GetCommandInvocation'], resources: ['*'] }),
    );
    // Reading run manifests: a policy of the data stack (lib/data/manifest-read-policy.ts says why).
    this.role.addManagedPolicy(props.manifestReadPolicy);
    // On a Capacity Block, a submission reads the block's state and end (lambda/submit/capacity-block.ts).
    if (config.capacityType === 'capacity-block') {
      this.role.addToPrincipalPolicy(describeCapacityReservationsStatement(stack));
    }

    if (auto) {
      const jobName = props.tokenizeJob.jobName;
      // Glue's IJob has no grant method: CDK's Grant, on the job's own ARN.
      iam.Grant.addToPrincipal({
        grantee: this.role,
        actions: ['glue:GetJobRun'],
        resourceArns: [props.tokenizeJob.jobArn],
      });
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

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'ssm:GetCommandInvocation and ec2:DescribeCapacityReservations (capacity-block only, this Region only) support no resource-level permissions; they only read results of commands and the Capacity Block.',
    });
  }
}
