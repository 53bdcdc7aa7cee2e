import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { TrainingFunction, TrainingFunctionProps } from '../training/training-function';

/** The training function's props: the cluster stack's cluster and bundle folder, the data stack's buckets and job. */
export interface TrainingStackProps extends StackProps, TrainingFunctionProps {}

/** The training chain's entry point: the function that submits, reports and cancels runs on the cluster. */
export class TrainingStack extends Stack {
  readonly training: TrainingFunction;

  constructor(scope: Construct, id: string, props: TrainingStackProps) {
    super(scope, id, props);
    this.training = new TrainingFunction(this, 'Training', props);

    new CfnOutput(this, 'TrainingFunctionName', {
      value: this.training.function.functionName,
      description: 'Lambda function of npm run submit, status and cancel',
    });
  }
}
