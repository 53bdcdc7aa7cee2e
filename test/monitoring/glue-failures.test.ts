import { monitoringTemplate, otherStacks, resource } from './support';

const template = monitoringTemplate();
const rule = resource(template, 'AWS::Events::Rule', 'GlueFailuresRule');

test('a rule on the tokenization job ending FAILED, TIMEOUT or ERROR, and only that', () => {
  template.resourceCountIs('AWS::Events::Rule', 1);
  expect(rule.Properties.EventPattern).toEqual({
    source: ['aws.glue'],
    'detail-type': ['Glue Job State Change'],
    detail: { jobName: [otherStacks().TokenizeJobName], state: ['FAILED', 'TIMEOUT', 'ERROR'] },
  });
  expect(rule.Properties.Name).toBe('trainium-cpt-tokenize-failed');
  expect(rule.Properties.State).toBe('ENABLED');
});

test("sends the alerts topic one readable line: job name, run ID, state and Glue's message", () => {
  expect(rule.Properties.Targets).toEqual([
    {
      Id: 'Target0',
      Arn: { Ref: expect.stringMatching(/^AlertsTopic[0-9A-F]{8}$/) },
      InputTransformer: {
        InputPathsMap: {
          'detail-jobName': '$.detail.jobName',
          'detail-jobRunId': '$.detail.jobRunId',
          'detail-state': '$.detail.state',
          'detail-message': '$.detail.message',
        },
        InputTemplate: '"Glue job <detail-jobName> run <detail-jobRunId> ended <detail-state>: <detail-message>"',
      },
    },
  ]);
  // No role: the topic policy lets EventBridge publish for this rule (see alerts-topic.test.ts).
  expect(rule.Properties.Targets[0].RoleArn).toBeUndefined();
});
