import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CptConfig } from '../config/schema';
import { stackOutput } from '../training/stack-outputs';
import { TrainingFunction } from '../training/training-function';

export interface TrainingStackProps extends StackProps {
  readonly config: CptConfig;
  /** The cluster stack: its output HeadNodeInstanceId is where the training script runs. */
  readonly clusterStack: Stack;
  /** The data stack: its outputs DatasetsBucketName, CheckpointsBucketName, HfTokenSecretArn and TokenizeJobName. */
  readonly dataStack: Stack;
  /** Folder of the training bundle on FSx: ClusterStack.trainingBundleDir. */
  readonly trainingBundleDir: string;
}

/** The training chain's entry point: the function that submits, reports and cancels runs on the cluster. */
export class TrainingStack extends Stack {
  readonly training: TrainingFunction;

  constructor(scope: Construct, id: string, props: TrainingStackProps) {
    super(scope, id, props);
    const { config, clusterStack, dataStack } = props;

    this.training = new TrainingFunction(this, 'Training', {
      config,
      headNodeInstanceId: stackOutput(this, clusterStack, 'HeadNodeInstanceId'),
      datasetsBucketName: stackOutput(this, dataStack, 'DatasetsBucketName'),
      checkpointsBucketName: stackOutput(this, dataStack, 'CheckpointsBucketName'),
      hfTokenSecretArn: stackOutput(this, dataStack, 'HfTokenSecretArn'),
      tokenizeJobName: stackOutput(this, dataStack, 'TokenizeJobName'),
      bundleDir: props.trainingBundleDir,
    });

    new CfnOutput(this, 'TrainingFunctionName', {
      value: this.training.function.functionName,
      description: 'Lambda function of npm run submit, status and cancel',
    });
  }
}
