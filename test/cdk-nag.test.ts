import { Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { buildApp } from '../lib/app';
import { defaultConfig, testApp } from './support/app';

/** Every cdk-nag acknowledgement in the app (CDK records some of its own too): where, which finding, and why. */
function acknowledgements(root: IConstruct) {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .filter(([id]) => id.startsWith('AwsSolutions::'))
      .map(([id, reason]) => ({ path: construct.node.path, id, reason })),
  );
}

test.each([
  ['the defaults', {}],
  ['an explicit zone in a region', { region: 'us-west-2', trainiumAz: 'usw2-az4' }],
  [
    'trn1 with SSH from one range',
    { instanceType: 'trn1.32xlarge' as const, sshKeyName: 'ops', sshAllowedCidr: '198.51.100.0/24' },
  ],
  ['alerts by e-mail and a 30-minute stall alarm', { notificationEmail: 'ml-team@example.com', stallAlarmMinutes: 30 }],
  [
    'an existing secret, a tokenizer file and no general corpus',
    {
      hfTokenSecretName: 'team/hf-token',
      tokenizerS3Key: 'tokenizers/tokenizer.json',
      generalDataShare: 0,
      generalCorpusPrefix: '',
    },
  ],
])('cdk-nag AwsSolutions finds nothing unacknowledged with %s', (_name, overrides) => {
  const app = testApp();
  buildApp(app, defaultConfig(overrides));
  expect(() => app.synth()).not.toThrow();
});

test('buildApp attaches cdk-nag: an unencrypted, unlogged bucket fails synthesis', () => {
  const app = testApp();
  buildApp(app, defaultConfig());
  new s3.Bucket(new Stack(app, 'Careless'), 'Bucket');
  expect(() => app.synth()).toThrow(/AwsSolutions-S1[\s\S]*AwsSolutions-S10/);
});

test('every acknowledgement names the finding precisely and gives a reason', () => {
  const app = testApp();
  buildApp(app, defaultConfig());
  const found = acknowledgements(app);
  expect(found.map((a) => `${a.path} ${a.id}`).sort()).toMatchSnapshot();
  for (const { id, reason } of found) {
    // IAM rules report one finding per wildcard, named in brackets; other rules report the resource as a whole.
    expect(id).toMatch(/^AwsSolutions::AwsSolutions-(IAM\d+\[.+\]|[A-Z]+\d+)$/);
    expect(reason.length).toBeGreaterThan(40);
  }
});
