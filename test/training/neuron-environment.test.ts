import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { createHandler } from '../../lambda/submit';
import { describeNeuronEnvironment, utcMinute } from '../../lib/training/neuron-status';
import { trainingCommand } from '../../cli/training/run';
import {
  COMMAND_ID,
  fakeClock,
  invocation,
  JOBS,
  manifest,
  mockFunctionClients,
  objectBody,
  statusResponse,
} from './support';
import { invokePayload, mockTrainingCliClients, trainingCliDeps } from './cli-harness';

/**
 * The Neuron environment is built on the head node after the cluster is created. cpt-run.sh reports its state (and
 * holds a chain's first job until it is ready); the training function passes that on, and `npm run submit/status`
 * print it. What cpt-run.sh answers here is what cluster/training/tests see it answer on a real Slurm.
 */

const { ssm, s3 } = mockFunctionClients();
const { lambda } = mockTrainingCliClients('fn');

const LOG = '/var/log/trainium-cpt/node-setup.log';
const STEP = 'install torch-neuronx, neuronx-cc and neuronx-distributed';
const BASE = '/fsx/trainium-cpt/neuron-2.28.1';
const SERVICE = 'trainium-cpt-neuron-environment';
const environment = (state: string, more: Record<string, unknown> = {}) => ({
  release: '2.28.1',
  state,
  step: null,
  since: null,
  started: null,
  log: null,
  exitCode: null,
  message: null,
  path: BASE,
  stateFile: `${BASE}.state.json`,
  service: SERVICE,
  ...more,
});
const BUILDING = environment('building', {
  step: STEP,
  since: '2026-01-01T12:03:41Z',
  started: '2026-01-01T11:58:02Z',
  log: LOG,
});
const HELD = { stage: 'prepare', id: '101', waitsFor: 'neuron-2.28.1' };

beforeEach(() => {
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND_ID } });
  s3.on(GetObjectCommand).resolves(objectBody(JSON.stringify(manifest('r1'))));
});

describe('the training function passes the state on', () => {
  const handler = () => createHandler(fakeClock().clock);
  /** cpt-run.sh answers submit of run r1 with a new chain, and these fields. */
  const answerSubmit = (more: Record<string, unknown>) => {
    const line = { run: 'r1', created: true, jobs: JOBS, runDir: '/fsx/trainium-cpt/runs/r1', ...more };
    ssm.on(GetCommandInvocationCommand).resolves(invocation(JSON.stringify(line)));
  };

  test('submit: a chain held until the environment is ready, with the state and the held job', async () => {
    answerSubmit({ neuronEnvironment: BUILDING, heldJob: HELD });
    const response = await handler()({ action: 'submit', run: 'r1' });
    expect(response).toMatchObject({ action: 'submit', run: 'r1', created: true, heldJob: HELD });
    expect(response).toHaveProperty('neuronEnvironment', {
      release: '2.28.1',
      state: 'building',
      step: STEP,
      since: '2026-01-01T12:03:41Z',
      started: '2026-01-01T11:58:02Z',
      log: LOG,
      path: BASE,
      stateFile: `${BASE}.state.json`,
      service: SERVICE,
    });
  });

  test('submit: a ready environment and no held job', async () => {
    answerSubmit({ neuronEnvironment: environment('ready') });
    const response = await handler()({ action: 'submit', run: 'r1' });
    expect(response).toHaveProperty('neuronEnvironment.state', 'ready');
    expect(response).not.toHaveProperty('heldJob');
  });

  test('status: the environment, and what the held first job waits for', async () => {
    const line = {
      run: 'r1',
      jobs: {
        prepare: { id: '101', state: 'PENDING', reason: 'JobHeldUser', waitsFor: 'neuron-2.28.1' },
        compile: { id: '102', state: 'PENDING', reason: 'Dependency' },
      },
      neuronEnvironment: BUILDING,
    };
    ssm.on(GetCommandInvocationCommand).resolves(invocation(JSON.stringify(line)));
    const response = await handler()({ action: 'status', run: 'r1' });
    expect(response).toEqual(
      statusResponse(line.jobs, {
        neuronEnvironment: expect.objectContaining({ state: 'building', step: STEP, log: LOG }),
      }),
    );
  });

  test.each([
    ['an unknown state', { neuronEnvironment: environment('half-done') }, 'neuronEnvironment.state'],
    [
      'a held job waiting for something else',
      { heldJob: { ...HELD, waitsFor: 'anything; reboot' } },
      'heldJob.waitsFor',
    ],
  ])('an answer with %s is outside the contract', async (_name, extra, field) => {
    answerSubmit(extra);
    await expect(handler()({ action: 'submit', run: 'r1' })).rejects.toThrow(
      new RegExp(`answered outside the contract .*${field.replace('.', '\\.')}`),
    );
  });

  test("a failed build: the script's refusal reaches the caller as it is", async () => {
    const error = `the Neuron 2.28.1 environment failed to build: step '${STEP}' failed (exit 2) at 2026-01-01T12:10:00Z; its log is ${LOG} on the head node. Build it again on the head node (sudo systemctl start ${SERVICE}), then submit again`;
    ssm.on(GetCommandInvocationCommand).resolves(invocation(JSON.stringify({ error }), 'Failed'));
    await expect(handler()({ action: 'submit', run: 'r1' })).rejects.toThrow(
      `cpt-run.sh submit failed (exit 1): ${error}`,
    );
  });
});

describe('npm run submit and npm run status print it', () => {
  async function run(answer: unknown, ...argv: string[]) {
    lambda.on(InvokeCommand).resolves(invokePayload(answer));
    const { deps, lines } = trainingCliDeps();
    expect(await trainingCommand(argv, deps)).toBe(0);
    return lines;
  }

  const statusAnswer = (neuronEnvironment: unknown, prepare: Record<string, unknown>) =>
    statusResponse(
      { prepare: { id: '101', ...prepare }, compile: { id: '102', state: 'PENDING', reason: 'Dependency' } },
      { neuronEnvironment },
    );

  test('status while building: the held prepare job waits for the environment, whose step, time and log are shown', async () => {
    const lines = await run(
      statusAnswer(BUILDING, { state: 'PENDING', reason: 'JobHeldUser', waitsFor: 'neuron-2.28.1' }),
      'status',
      '--run',
      'r1',
    );
    expect(lines).toEqual([
      'Run r1:',
      '  STAGE    JOB  STATE    REASON',
      '  prepare  101  PENDING  JobHeldUser: held until the Neuron 2.28.1 environment is ready',
      '  compile  102  PENDING  Dependency',
      `Neuron environment 2.28.1: building, step '${STEP}' since 2026-01-01 12:03 UTC (build started 2026-01-01 11:58 UTC; log ${LOG} on the head node).`,
    ]);
  });

  test('status once ready: the environment in one line, the jobs as Slurm has them', async () => {
    const ready = environment('ready', { since: '2026-01-01T12:21:09Z', started: '2026-01-01T11:58:02Z', log: LOG });
    const lines = await run(statusAnswer(ready, { state: 'RUNNING', reason: 'None' }), 'status', '--run', 'r1');
    expect(lines.slice(2)).toEqual([
      '  prepare  101  RUNNING  None',
      '  compile  102  PENDING  Dependency',
      'Neuron environment 2.28.1: ready since 2026-01-01 12:21 UTC.',
    ]);
  });

  test('status after a failed build: the step, the exit code, the log and how to build it again', async () => {
    const failed = environment('failed', {
      step: STEP,
      since: '2026-01-01T12:10:00Z',
      log: LOG,
      exitCode: 2,
      message: `node-setup: step '${STEP}' failed (exit 2)`,
    });
    const lines = await run(
      statusAnswer(failed, { state: 'PENDING', reason: 'JobHeldUser', waitsFor: 'neuron-2.28.1' }),
      'status',
      '--run',
      'r1',
    );
    expect(lines[lines.length - 1]).toBe(
      `Neuron environment 2.28.1: FAILED, step '${STEP}' failed (exit 2) at 2026-01-01 12:10 UTC; log ${LOG} on the head node. ` +
        `Build it again on the head node: sudo systemctl start ${SERVICE}.`,
    );
  });

  test('status of a run from before environments were reported: no environment line', async () => {
    const lines = await run(
      { ...statusAnswer(undefined, { state: 'COMPLETED', reason: '' }) },
      'status',
      '--run',
      'r1',
    );
    expect(lines.join('\n')).not.toContain('Neuron environment');
  });

  test('submit while building: the chain is submitted, its first job held, and the environment shown', async () => {
    const answer = {
      action: 'submit',
      run: 'r1',
      created: false,
      jobs: JOBS,
      runDir: '/fsx/trainium-cpt/runs/r1',
      commandId: COMMAND_ID,
      neuronEnvironment: BUILDING,
      heldJob: HELD,
    };
    expect(await run(answer, 'submit', '--run', 'r1')).toEqual([
      'Run r1 was submitted before: these are its jobs. This request changed nothing (its options were not applied).',
      'It waits for the Neuron 2.28.1 environment: prepare (job 101) is held, and the chain starts by itself when the environment is ready.',
      '  Jobs         prepare 101 (held) → compile 102 → train 103 → export 104 → evaluate 105',
      '  Run folder   /fsx/trainium-cpt/runs/r1',
      `Neuron environment 2.28.1: building, step '${STEP}' since 2026-01-01 12:03 UTC (build started 2026-01-01 11:58 UTC; log ${LOG} on the head node).`,
      'Follow it: npm run status -- --run r1    Cancel it: npm run cancel -- --run r1',
    ]);
  });
});

describe('the environment in words', () => {
  test('not started yet: where to look', () => {
    expect(describeNeuronEnvironment(environment('not-started') as never)).toBe(
      "Neuron environment 2.28.1: not started yet (no build recorded): the cluster stack's SSM association starts it; " +
        `on the head node: systemctl status ${SERVICE}.`,
    );
  });

  test("a stopped build is told in the script's words; a broken one by its message", () => {
    const stopped = {
      ...environment('failed'),
      step: STEP,
      exitCode: 143,
      since: '2026-01-01T13:58:02Z',
      message: `node-setup: stopped by SIGTERM during step '${STEP}'`,
    };
    expect(describeNeuronEnvironment(stopped as never)).toContain(
      `FAILED, stopped by SIGTERM during step '${STEP}' at 2026-01-01 13:58 UTC. Build it again`,
    );
    const broken = {
      ...environment('failed'),
      message: `${BASE}.state.json says ready, but ${BASE}/venv/bin/python3 is missing`,
    };
    expect(describeNeuronEnvironment(broken as never)).toBe(
      `Neuron environment 2.28.1: FAILED, ${BASE}.state.json says ready, but ${BASE}/venv/bin/python3 is missing. Build it again on the head node: sudo systemctl start ${SERVICE}.`,
    );
  });

  test('times to the minute, in UTC', () => {
    expect(utcMinute('2026-01-01T12:03:41Z')).toBe('2026-01-01 12:03 UTC');
    expect(utcMinute('yesterday')).toBe('yesterday');
  });
});
