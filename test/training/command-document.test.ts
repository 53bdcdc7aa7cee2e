import { Template } from 'aws-cdk-lib/assertions';
import {
  commandDocumentContent,
  commandParameters,
  REQUEST_MAX_CHARS,
  REQUEST_PATTERN,
} from '../../lib/training/command-document';
import { encodeRequest, scriptCommand, TRAINING_ACTIONS } from '../../lib/training/contract';
import { synthApp } from '../support/app';
import { BASE64_SHAPE, defaultSubmitRequest } from './support';

/**
 * The training stack's SSM Command document: what the function sends instead of AWS-RunShellScript. The role's
 * statement that allows only this document (and only the head node) is in test/training/training-stack.test.ts.
 */

const { stacks } = synthApp();
const template = Template.fromStack(stacks.training);
const bundleDir = stacks.cluster.trainingBundleDir;

describe('the document', () => {
  const documents = template.findResources('AWS::SSM::Document');

  test('one Command document, named by CloudFormation, updated in place when the bundle changes', () => {
    expect(Object.keys(documents)).toEqual([expect.stringMatching(/^TrainingCommandDocument[0-9A-F]{8}$/)]);
    const [document] = Object.values(documents);
    // No Name (CloudFormation generates one, which stays across updates); NewVersion, not Replace.
    expect(Object.keys(document.Properties).sort()).toEqual(['Content', 'DocumentType', 'Tags', 'UpdateMethod']);
    expect(document.Properties.DocumentType).toBe('Command');
    expect(document.Properties.UpdateMethod).toBe('NewVersion');
  });

  test('its content: cpt-run.sh of the cluster stack’s bundle folder, with an action of three and a base64 request', () => {
    expect(bundleDir).toMatch(/^\/fsx\/trainium-cpt\/training\/[0-9a-f]{20}$/);
    const [document] = Object.values(documents);
    expect(document.Properties.Content).toEqual({
      schemaVersion: '2.2',
      description: expect.stringContaining('cpt-run.sh'),
      parameters: {
        action: {
          type: 'String',
          description: expect.any(String),
          allowedValues: ['submit', 'status', 'cancel'],
        },
        request: {
          type: 'String',
          description: expect.any(String),
          allowedPattern: '^[A-Za-z0-9+/]*={0,2}$',
          maxChars: 16384,
        },
      },
      mainSteps: [
        {
          action: 'aws:runShellScript',
          name: 'runCptRun',
          inputs: {
            runCommand: [`bash ${bundleDir}/cpt-run.sh {{ action }} {{ request }}`],
            timeoutSeconds: '180',
          },
        },
      ],
    });
  });

  test('the command line is the one the chain preview runs, with the parameters’ values in place', () => {
    const request = defaultSubmitRequest(147);
    const line = commandDocumentContent(bundleDir).mainSteps[0].inputs.runCommand[0];
    const { action, request: blob } = commandParameters('submit', request as never);
    expect(line.replace('{{ action }}', action[0]).replace('{{ request }}', blob[0])).toBe(
      scriptCommand(bundleDir, 'submit', request as never),
    );
  });

  test('a bundle folder outside the training root is refused', () => {
    expect(() => commandDocumentContent('/fsx/trainium-cpt/training/x; reboot')).toThrow(
      /must be a folder directly under \/fsx\/trainium-cpt\/training\//,
    );
  });
});

describe('the parameters the function sends', () => {
  test('exactly the action and the request, standard base64 of its JSON', () => {
    const request = defaultSubmitRequest(1465);
    expect(commandParameters('submit', request as never)).toEqual({
      action: ['submit'],
      request: [encodeRequest(request as never)],
    });
    for (const action of TRAINING_ACTIONS) {
      const { request: blob } = commandParameters(action, { version: 2, run: 'r1' });
      expect(blob[0]).toMatch(BASE64_SHAPE);
      expect(blob[0]).toMatch(new RegExp(REQUEST_PATTERN));
    }
  });

  test('the pattern is standard base64, and nothing a shell would read', () => {
    const pattern = new RegExp(REQUEST_PATTERN);
    for (const ok of ['', 'e30=', 'eyJhIjoxfQ==', 'ab+/']) expect(ok).toMatch(pattern);
    for (const bad of ['a b', 'a;b', '$(id)', '`id`', "a'b", 'a\nb', 'ab=c', 'ab===', 'a-b', 'a_b']) {
      expect(bad).not.toMatch(pattern);
    }
  });

  test('a request longer than the document allows is refused before any call', () => {
    const request = { version: 2, run: 'r1', padding: 'x'.repeat(REQUEST_MAX_CHARS) };
    expect(() => commandParameters('status', request as never)).toThrow(
      /the request to cpt-run\.sh is \d+ characters in base64, more than the document's 16384/,
    );
    expect(() => commandParameters('reboot' as never, { version: 2, run: 'r1' })).toThrow(/is not one of/);
  });
});
