import { Match } from 'aws-cdk-lib/assertions';
import { monitoringTemplate, resource } from './support';

const template = monitoringTemplate();
const TOPIC = { Ref: expect.stringMatching(/^AlertsTopic[0-9A-F]{8}$/) };
const ACCOUNT = { Ref: 'AWS::AccountId' };
const alarmArn = (prefix: string) => ({
  'Fn::GetAtt': [expect.stringMatching(new RegExp(`^Alarms${prefix}[0-9A-F]{8}$`)), 'Arn'],
});

describe('the alerts topic', () => {
  test('is <projectName>-alerts, encrypted with the key of its own, and output as AlertsTopicArn', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const topic = resource(template, 'AWS::SNS::Topic', 'AlertsTopic');
    expect(topic.Properties).toMatchObject({
      TopicName: 'trainium-cpt-alerts',
      KmsMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^AlertsKey/), 'Arn'] },
    });
    template.hasOutput('AlertsTopicArn', { Value: { Ref: Match.stringLikeRegexp('^AlertsTopic[0-9A-F]{8}$') } });
    monitoringTemplate({ projectName: 'med' }).hasResourceProperties('AWS::SNS::Topic', { TopicName: 'med-alerts' });
  });

  test('the key is a customer managed key, rotated, removed with the stack after a 7-day window', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    const key = resource(template, 'AWS::KMS::Key', 'AlertsKey');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.PendingWindowInDays).toBe(7);
    expect(key.DeletionPolicy).toBe('Delete');
  });

  test('its key policy lets CloudWatch, EventBridge and AWS Budgets encrypt for the topic, and no one else but the account', () => {
    const key = resource(template, 'AWS::KMS::Key', 'AlertsKey');
    const statements: Array<Record<string, any>> = key.Properties.KeyPolicy.Statement;
    expect(statements).toHaveLength(4);
    expect(statements[0]).toMatchObject({
      Action: 'kms:*',
      Principal: { AWS: expect.objectContaining({ 'Fn::Join': expect.anything() }) },
    });
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com', 'budgets.amazonaws.com']) {
      const statement = statements.find((s) => s.Principal.Service === service);
      expect(statement).toMatchObject({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      });
      // EventBridge passes no source keys to KMS: a condition here would drop its events silently.
      expect(statement?.Condition).toBeUndefined();
    }
  });
});

describe('the topic policy', () => {
  const policy = resource(template, 'AWS::SNS::TopicPolicy', 'AlertsTopicPolicy');
  const statements: Array<Record<string, any>> = policy.Properties.PolicyDocument.Statement;
  const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
  /** A statement that lets this service publish to the topic (each carries its own condition). */
  const allowsPublish = (service: string) => ({
    Effect: 'Allow',
    Principal: { Service: service },
    Action: 'sns:Publish',
    Resource: TOPIC,
  });

  test("is the topic's, and refuses publishing without TLS", () => {
    expect(policy.Properties.Topics).toEqual([TOPIC]);
    expect(bySid('AllowPublishThroughSSLOnly')).toEqual({
      Sid: 'AllowPublishThroughSSLOnly',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: TOPIC,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  test('lets CloudWatch publish for the five alarms of this stack only', () => {
    expect(bySid('AlarmsPublish')).toEqual({
      Sid: 'AlarmsPublish',
      ...allowsPublish('cloudwatch.amazonaws.com'),
      Condition: {
        ArnLike: {
          'aws:SourceArn': [
            alarmArn('TrainingFailed'),
            alarmArn('TrainingStalled'),
            alarmArn('AgentSilent'),
            alarmArn('FunctionErrors'),
            alarmArn('FsxAlmostFull'),
          ],
        },
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
      },
    });
  });

  test('lets EventBridge publish for the Glue failure rule only', () => {
    const statement = statements.find((s) => s.Principal?.Service === 'events.amazonaws.com');
    expect(statement).toEqual({
      Sid: expect.stringMatching(/^RulePublish/),
      ...allowsPublish('events.amazonaws.com'),
      Condition: {
        ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [expect.stringMatching(/^GlueFailuresRule/), 'Arn'] } },
      },
    });
  });

  test("lets AWS Budgets publish for this account's budgets (the AWS Budgets guide's policy)", () => {
    expect(bySid('BudgetsPublish')).toEqual({
      Sid: 'BudgetsPublish',
      ...allowsPublish('budgets.amazonaws.com'),
      Condition: {
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
        ArnLike: {
          'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':budgets::', ACCOUNT, ':*']] },
        },
      },
    });
  });

  test('has no other statement: no service publishes without a source condition', () => {
    expect(statements).toHaveLength(4);
    for (const statement of statements.filter((s) => s.Effect === 'Allow')) expect(statement.Condition).toBeDefined();
  });
});

describe('the e-mail subscription', () => {
  test('exists only when notificationEmail is set', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const subscribed = monitoringTemplate({ notificationEmail: 'ml-team@example.com' });
    subscribed.resourceCountIs('AWS::SNS::Subscription', 1);
    subscribed.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ml-team@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^AlertsTopic[0-9A-F]{8}$') },
    });
  });
});
