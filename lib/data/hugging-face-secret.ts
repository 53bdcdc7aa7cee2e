import { Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface HuggingFaceSecretProps {
  /**
   * Name of an existing secret that holds the token. Set, that secret is used and nothing is created.
   * @default - a new secret for you to fill
   */
  readonly existingSecretName?: string;
}

/**
 * The Secrets Manager secret that holds the Hugging Face access token, with which the tokenization job downloads the
 * tokenizer of a gated model such as Llama 2. Either an existing secret, or a new one whose value is a placeholder that
 * Secrets Manager generates: the template never contains a token.
 */
export class HuggingFaceSecret extends Construct {
  readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: HuggingFaceSecretProps) {
    super(scope, id);
    if (props.existingSecretName !== undefined) {
      this.secret = secretsmanager.Secret.fromSecretNameV2(this, 'Secret', props.existingSecretName);
      return;
    }
    // No fixed name: CloudFormation schedules a deleted secret for deletion, and a fixed name would make a
    // redeploy within the recovery window fail.
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        'Hugging Face access token of the tokenization job. Replace the generated placeholder with your token: ' +
        'aws secretsmanager put-secret-value --secret-id <HfTokenSecretArn output> --secret-string file://token.txt',
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason: 'Hugging Face tokens are issued by huggingface.co; no rotation function can mint one.',
    });
  }
}

/**
 * A secret's ARN as IAM policies need it: a secret imported by name has no random suffix in its ARN, so the policy
 * matches any suffix (the pattern CDK's own grants use). For statements of secretsmanager:GetSecretValue alone:
 * `secret.grantRead` would add secretsmanager:DescribeSecret, which neither the job nor the nodes need, and the
 * nodes' policy is a managed policy, not a principal a grant can take.
 */
export function secretArnForPolicies(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn ?? `${secret.secretArn}-??????`;
}
