import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { loadConfig } from '../../lib/config/load';
import { dataTemplate, testApp } from '../support/app';

/** The data stack as `cdk synth -c key=value ...` builds it: the keys come in as context of the app. */
function dataTemplateWithCommandLine(context: Record<string, string>): Template {
  const app = testApp();
  for (const [key, value] of Object.entries(context)) app.node.setContext(key, value);
  return Template.fromStack(buildApp(app, loadConfig(app.node.getAllContext())).data);
}

const secretArnOfJob = (template: Template) =>
  Object.values(template.findResources('AWS::Glue::Job'))[0].Properties.DefaultArguments['--hf-token-secret-arn'];

describe('without hfTokenSecretName, the stack creates the secret', () => {
  const template = dataTemplate();

  test('unnamed (a redeploy must not meet the deleted one), with a placeholder that Secrets Manager generates: no token in the template', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const [secret] = Object.values(template.findResources('AWS::SecretsManager::Secret'));
    expect(secret.Properties).toEqual({
      Description: expect.stringContaining(
        'aws secretsmanager put-secret-value --secret-id <HfTokenSecretArn output> --secret-string file://token.txt',
      ),
      GenerateSecretString: {},
      Tags: expect.any(Array),
    });
  });

  test('the job is given its ARN, and the stack outputs it', () => {
    const secretRef = { Ref: expect.stringMatching(/^HuggingFaceTokenSecret/) };
    expect(secretArnOfJob(template)).toEqual(secretRef);
    expect(template.findOutputs('HfTokenSecretArn').HfTokenSecretArn.Value).toEqual(secretRef);
  });
});

describe('with -c hfTokenSecretName=..., the stack uses that secret', () => {
  const template = dataTemplateWithCommandLine({ hfTokenSecretName: 'team/hf-token' });
  const arnOf = (name: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':secretsmanager:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        name,
      ],
    ],
  });
  const partialArn = arnOf(':secret:team/hf-token');

  test('and creates none', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  test('the job is given its ARN by name, and the stack outputs it', () => {
    expect(secretArnOfJob(template)).toEqual(partialArn);
    expect(template.findOutputs('HfTokenSecretArn').HfTokenSecretArn.Value).toEqual(partialArn);
  });

  test("the job's role may read that secret, whatever the random suffix of its ARN", () => {
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy'));
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual({
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: arnOf(':secret:team/hf-token-??????'),
    });
  });
});
