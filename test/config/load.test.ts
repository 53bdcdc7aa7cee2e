import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CONFIG_FILE_CONTEXT_KEY,
  ConfigError,
  DEFAULTS_CONTEXT_KEY,
  loadConfig,
  loadProjectConfig,
} from '../../lib/config/load';
import { cdkJsonContext } from '../support/app';

const defaults = () => cdkJsonContext()[DEFAULTS_CONTEXT_KEY] as Record<string, unknown>;

function tempConfigFile(contents: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-config-'));
  const file = path.join(dir, 'run.json');
  fs.writeFileSync(file, contents);
  return file;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('no error was thrown');
}

describe('layers', () => {
  test('a config file overrides cdk.json, and -c overrides the file', () => {
    const file = tempConfigFile(JSON.stringify({ nodeCount: 8, globalBatchSize: 1024, learningRate: 0.0001 }));
    const config = loadConfig({
      [DEFAULTS_CONTEXT_KEY]: defaults(),
      [CONFIG_FILE_CONTEXT_KEY]: file,
      learningRate: '0.0002',
    });
    expect(config.nodeCount).toBe(8);
    expect(config.globalBatchSize).toBe(1024);
    expect(config.learningRate).toBe(0.0002);
    expect(config.instanceType).toBe(defaults().instanceType);
  });

  test('a relative config file is read from the base directory', () => {
    const file = tempConfigFile(JSON.stringify({ epochs: 1 }));
    const config = loadConfig(
      { [DEFAULTS_CONTEXT_KEY]: defaults(), [CONFIG_FILE_CONTEXT_KEY]: path.basename(file) },
      path.dirname(file),
    );
    expect(config.epochs).toBe(1);
  });

  test('null in a config file clears an optional key set by an earlier layer', () => {
    const file = tempConfigFile(JSON.stringify({ notificationEmail: null }));
    const config = loadConfig({
      [DEFAULTS_CONTEXT_KEY]: { ...defaults(), notificationEmail: 'ops@example.com' },
      [CONFIG_FILE_CONTEXT_KEY]: file,
    });
    expect(config.notificationEmail).toBeUndefined();
  });

  test('an error names the layer the bad value came from', () => {
    const file = tempConfigFile(JSON.stringify({ nodeCount: 0 }));
    expect(
      messageOf(() => loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), [CONFIG_FILE_CONTEXT_KEY]: file })),
    ).toContain(`nodeCount = 0 (from file ${file})`);
    expect(messageOf(() => loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), nodeCount: '0' }))).toContain(
      'nodeCount = 0 (from -c)',
    );
  });
});

describe('-c values, which arrive as strings', () => {
  test.each([
    ['nodeCount', '4', 4],
    ['learningRate', '1.5e-4', 1.5e-4],
    ['generalDataShare', '0', 0],
    ['autoSubmitOnDataReady', 'true', true],
    ['autoSubmitOnDataReady', 'false', false],
    ['trainiumAz', 'use1-az6', 'use1-az6'],
    ['fsxThroughputPerTiB', '1000', 1000],
    ['fsxThroughputPerTiB', '125', 125],
  ])('%s=%s becomes %p', (key, text, value) => {
    const overrides: Record<string, unknown> = { [key]: text };
    if (key === 'nodeCount') overrides.globalBatchSize = '512';
    const config = loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), ...overrides }) as unknown as Record<
      string,
      unknown
    >;
    expect(config[key]).toBe(value);
  });

  test('an empty value unsets an optional key', () => {
    const config = loadConfig({
      [DEFAULTS_CONTEXT_KEY]: { ...defaults(), notificationEmail: 'ops@example.com' },
      notificationEmail: '',
    });
    expect(config.notificationEmail).toBeUndefined();
  });

  test('text where a number belongs is refused, not turned into NaN or 0', () => {
    expect(messageOf(() => loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), nodeCount: '' }))).toContain(
      'nodeCount = ""',
    );
    expect(messageOf(() => loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), epochs: 'three' }))).toContain(
      'epochs = "three" (from -c): Invalid input: expected number, received string',
    );
    // A number that is not one of the choices stays text, and the message lists the choices.
    expect(messageOf(() => loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), fsxThroughputPerTiB: '300' }))).toContain(
      'fsxThroughputPerTiB = "300" (from -c): Invalid input. Accepted: 125 | 250 | 500 | 1000',
    );
  });

  test('a misspelt key is refused with a suggestion', () => {
    expect(messageOf(() => loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), nodecount: '4' }))).toContain(
      'nodecount (from -c): not a configuration key; did you mean nodeCount?',
    );
  });

  test('a misspelt key and a bad value are reported together', () => {
    const message = messageOf(() =>
      loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), tensorParallelDegree: '3', nodecount: '4' }),
    );
    expect(message).toContain('tensorParallelDegree = 3 (from -c): does not divide the 32 NeuronCores');
    expect(message).toContain('nodecount (from -c): not a configuration key; did you mean nodeCount?');
  });

  test("CDK's own context keys are left alone", () => {
    expect(() =>
      loadConfig({
        [DEFAULTS_CONTEXT_KEY]: defaults(),
        '@aws-cdk/core:checkSecretUsage': true,
        'aws:cdk:bundling-stacks': [],
        'acknowledged-issue-numbers': [1234],
      }),
    ).not.toThrow();
  });
});

describe('broken inputs', () => {
  test('an unknown key in a config file lists the accepted keys when nothing is close', () => {
    const file = tempConfigFile(JSON.stringify({ favouriteColour: 'blue' }));
    const message = messageOf(() =>
      loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), [CONFIG_FILE_CONTEXT_KEY]: file }),
    );
    expect(message).toContain(
      `favouriteColour (from file ${file}): not a configuration key; accepted keys: projectName, region`,
    );
  });

  test('a missing config file', () => {
    expect(
      messageOf(() =>
        loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), [CONFIG_FILE_CONTEXT_KEY]: '/nonexistent/run.json' }),
      ),
    ).toContain('config = "/nonexistent/run.json": cannot read');
  });

  test('a config file that is not JSON', () => {
    const file = tempConfigFile('nodeCount: 4');
    expect(
      messageOf(() => loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), [CONFIG_FILE_CONTEXT_KEY]: file })),
    ).toContain('not valid JSON');
  });

  test('a config file that holds an array', () => {
    const file = tempConfigFile('[1, 2]');
    expect(
      messageOf(() => loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), [CONFIG_FILE_CONTEXT_KEY]: file })),
    ).toContain('must hold a JSON object of config keys');
  });

  test('cdk.json without its defaults', () => {
    expect(messageOf(() => loadConfig({}))).toContain('cdk.json has no "trainium-cpt" object');
  });
});

test("loadProjectConfig reads this repository's cdk.json, then the command line's keys", () => {
  const config = loadProjectConfig({ nodeCount: '8', globalBatchSize: '1024' });
  expect(config).toEqual(loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults(), nodeCount: '8', globalBatchSize: '1024' }));
  expect(config.nodeCount).toBe(8);
});
