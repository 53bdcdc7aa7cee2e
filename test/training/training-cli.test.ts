import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { describeFailure, EXIT_CODES, UsageError } from '../../cli/shared/command-line';
import { parseTrainingArgs } from '../../cli/training/args';
import { trainingCommand } from '../../cli/training/run';
import { CHECKPOINTS, restartEntry, statusResponse, submitResponse } from './support';
import { runCli } from '../support/cli';
import { functionError, invokePayload, mockTrainingCliClients, trainingCliDeps } from './cli-harness';

const FUNCTION = 'trainium-cpt-training-TrainingFunctionCE66B9CE-AbCdEf123456';
const { cloudFormation, lambda } = mockTrainingCliClients(FUNCTION);

/** Runs the command as cli/training/main.ts does: the exit code, and what it printed or the failure's message. */
async function run(...argv: string[]) {
  const { deps, lines } = trainingCliDeps();
  try {
    return { code: await trainingCommand(argv, deps), lines, error: '' };
  } catch (error) {
    const { message, exitCode } = describeFailure(error);
    return { code: exitCode, lines, error: message };
  }
}

const invokedWith = () =>
  JSON.parse(new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[0].args[0].input.Payload as Uint8Array));

const SUBMITTED = submitResponse({
  warnings: ['the training set (1000 rows) is smaller than one global batch (2048): each step repeats rows'],
  plan: {
    dataParallel: 64,
    gradientAccumulation: 32,
    trainRows: 1_000_000,
    steps: 1465,
    stepsFrom: 'epochs',
    epochs: 3.00032,
    tokensPerStep: 8_388_608,
    trainTokens: 12_289_310_720,
    evalDomainRows: 1200,
    evalGeneralRows: 30,
    attempt: 'attempt-20260101T000000Z-a1b2c3',
    overrides: {},
    savedSteps: [500, 1000, 1465],
  },
  request: {
    nodes: 16,
    tensorParallel: 8,
    globalBatch: 2048,
    microBatch: 1,
    steps: 1465,
    warmupSteps: 100,
    learningRate: 0.00015,
    minLearningRate: 0.000015,
    checkpointEvery: 500,
    checkpointsKept: 3,
    exportS3Uri: `s3://${CHECKPOINTS}/exports/r1/`,
    reportS3Uri: `s3://${CHECKPOINTS}/reports/r1/`,
    maxTrainRestarts: 3,
    timeLimits: { prepare: 46, compile: 190, train: 967, export: 107, evaluate: 272 },
    resume: false,
  },
});

describe('npm run submit', () => {
  test('finds the function in the training stack, invokes it with the run, and prints the plan and the jobs', async () => {
    lambda.on(InvokeCommand).resolves(invokePayload(SUBMITTED));
    const { code, lines, error } = await run('submit', '--run', 'r1');
    expect(error).toBe('');
    expect(code).toBe(EXIT_CODES.succeeded);
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'trainium-cpt-training' });
    expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: FUNCTION });
    expect(invokedWith()).toEqual({ action: 'submit', run: 'r1' });
    expect(lines).toEqual([
      'Run r1: submitted.',
      '  Data         attempt-20260101T000000Z-a1b2c3: 1,000,000 training rows; evaluation on 1,200 domain and 30 general rows',
      '  Parallelism  16 nodes, tensor parallel 8, data parallel 64',
      '  Batch        2,048 rows a step = 64 replicas × micro-batch 1 × 32 accumulated; 8,388,608 tokens',
      '  Steps        1,465 (1465 steps cover 3.000 epochs of 1,000,000 rows); 12,289,310,720 tokens in all',
      '  Schedule     100 warm-up steps to 0.00015, then decay to 0.000015',
      '  Checkpoints  at steps 500, 1,000 and 1,465: 3 checkpoints, all 3 kept on FSx, all of them in S3',
      '  Time limits  prepare 46 min, compile 190 min (3.2 h), train 967 min (16.1 h), export 107 min (1.8 h), evaluate 272 min (4.5 h)',
      '  Restarts     a failed train job requeues itself up to 3 times from its newest checkpoint',
      '  Jobs         prepare 101 → compile 102 → train 103 → export 104 → evaluate 105',
      '  Run folder   /fsx/checkpoints/r1',
      `  Model        s3://${CHECKPOINTS}/exports/r1/`,
      `  Report       s3://${CHECKPOINTS}/reports/r1/`,
      '  Warning: the training set (1000 rows) is smaller than one global batch (2048): each step repeats rows',
      'Follow it: npm run status -- --run r1    Cancel it: npm run cancel -- --run r1',
    ]);
  });

  test('a chain submitted before the Neuron environment is ready: held, and the environment’s progress shown', async () => {
    const neuronEnvironment = {
      release: '2.28.1',
      state: 'building',
      step: 'check out neuronx-distributed v2.28.0',
      since: '2026-01-01T12:01:00Z',
      started: '2026-01-01T12:00:00Z',
      log: '/var/log/trainium-cpt/node-setup.log',
      exitCode: null,
      message: null,
    };
    lambda.on(InvokeCommand).resolves(
      invokePayload({
        ...SUBMITTED,
        neuronEnvironment,
        heldJob: { stage: 'prepare', id: '101', waitsFor: 'neuron-2.28.1' },
      }),
    );
    const { lines } = await run('submit', '--run', 'r1');
    expect(lines[0]).toBe(
      'Run r1: submitted. It waits for the Neuron 2.28.1 environment: prepare (job 101) is held, and the chain starts by itself when the environment is ready.',
    );
    expect(lines).toContain('  Jobs         prepare 101 (held) → compile 102 → train 103 → export 104 → evaluate 105');
    expect(lines.slice(-2)).toEqual([
      "Neuron environment 2.28.1: building, step 'check out neuronx-distributed v2.28.0' since 2026-01-01 12:01 UTC " +
        '(build started 2026-01-01 12:00 UTC; log /var/log/trainium-cpt/node-setup.log on the head node).',
      'Follow it: npm run status -- --run r1    Cancel it: npm run cancel -- --run r1',
    ]);
    // Ready: nothing more than before.
    lambda
      .on(InvokeCommand)
      .resolves(invokePayload({ ...SUBMITTED, neuronEnvironment: { ...neuronEnvironment, state: 'ready' } }));
    expect((await run('submit', '--run', 'r1')).lines.join('\n')).not.toMatch(/Neuron|held/);
  });

  test('passes overrides as numbers, in --flag value and --flag=value forms', async () => {
    lambda.on(InvokeCommand).resolves(invokePayload(SUBMITTED));
    await run(
      'submit',
      '--run',
      'r1',
      '--nodes',
      '4',
      '--global-batch=512',
      '--learning-rate',
      '3e-4',
      '--epochs',
      '0.5',
      '--warmup-steps',
      '10',
    );
    expect(invokedWith()).toEqual({
      action: 'submit',
      run: 'r1',
      overrides: { nodes: 4, globalBatch: 512, learningRate: 3e-4, epochs: 0.5, warmupSteps: 10 },
    });
  });

  test('an answer of a function deployed before saved steps and time limits: printed as before', async () => {
    const { savedSteps: _saved, ...plan } = SUBMITTED.plan;
    const { maxTrainRestarts: _max, timeLimits: _limits, resume: _resume, ...request } = SUBMITTED.request;
    lambda.on(InvokeCommand).resolves(invokePayload({ ...SUBMITTED, plan, request }));
    const { lines } = await run('submit', '--run', 'r1');
    expect(lines).toContain('  Checkpoints  every 500 steps; the newest 3 kept on FSx, all of them in S3');
    expect(lines.join('\n')).not.toMatch(/Time limits|Restarts|Resumed/);
  });

  /** The function's answer to a submit with --resume, with `fields` of the script's answer. */
  const resumeAnswer = (fields: Record<string, unknown>) =>
    invokePayload({ ...SUBMITTED, ...fields, request: { ...SUBMITTED.request, resume: true } });

  test('--resume: the event says so, and the answer shows the checkpoint it continues from', async () => {
    lambda.on(InvokeCommand).resolves(resumeAnswer({ resumed: true, resumeFrom: 'step_1500' }));
    const { code, lines } = await run('submit', '--run', 'r1', '--resume');
    expect(code).toBe(0);
    expect(invokedWith()).toEqual({ action: 'submit', run: 'r1', resume: true });
    expect(lines.slice(0, 2)).toEqual([
      'Run r1: submitted again, to continue it.',
      '  Resumed      from checkpoint step_1500, the newest completed one of run r1',
    ]);
  });

  test('--resume of a run without a completed checkpoint: from the base model; nothing to resume: said so', async () => {
    lambda.on(InvokeCommand).resolves(resumeAnswer({ resumed: true, resumeFrom: null }));
    expect((await run('submit', '--run', 'r1', '--resume')).lines[1]).toBe(
      '  Resumed      with no completed checkpoint yet: training starts again from the base model',
    );
    lambda.on(InvokeCommand).resolves(resumeAnswer({ resumed: false }));
    expect((await run('submit', '--run', 'r1', '--resume')).lines[1]).toBe(
      '  Resumed      no: the script found nothing to continue (resumed: false)',
    );
    // A chain still in place: its jobs, and no word of resuming.
    lambda.on(InvokeCommand).resolves(resumeAnswer({ created: false, resumed: false }));
    expect((await run('submit', '--run', 'r1', '--resume')).lines.join('\n')).not.toContain('Resumed');
  });

  test('a run submitted before: its jobs, and that this request changed nothing', async () => {
    lambda.on(InvokeCommand).resolves(invokePayload({ ...SUBMITTED, created: false }));
    const { code, lines } = await run('submit', '--run', 'r1', '--nodes', '8');
    expect(code).toBe(0);
    expect(lines).toEqual([
      'Run r1 was submitted before: these are its jobs. This request changed nothing (its options were not applied).',
      '  Jobs         prepare 101 → compile 102 → train 103 → export 104 → evaluate 105',
      '  Run folder   /fsx/checkpoints/r1',
      'Follow it: npm run status -- --run r1    Cancel it: npm run cancel -- --run r1',
    ]);
    // A chain that ended: the script's word on how to continue it.
    const message = 'the chain of run r1 ended FAILED at train; `npm run submit -- --run r1 --resume` continues it';
    lambda.on(InvokeCommand).resolves(invokePayload({ ...SUBMITTED, created: false, message }));
    expect((await run('submit', '--run', 'r1')).lines[1]).toBe(`  ${message}`);
  });

  test('--json prints the function’s answer as it is', async () => {
    lambda.on(InvokeCommand).resolves(invokePayload(SUBMITTED));
    const { lines } = await run('submit', '--run', 'r1', '--json');
    expect(JSON.parse(lines.join('\n'))).toEqual(SUBMITTED);
  });

  test('the stack is named after projectName from -c', async () => {
    lambda.on(InvokeCommand).resolves(invokePayload(SUBMITTED));
    await run('submit', '--run', 'r1', '-c', 'projectName=med');
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'med-training' });
  });
});

describe('npm run status and npm run cancel', () => {
  test('status prints one line per stage, in the chain’s order', async () => {
    lambda.on(InvokeCommand).resolves(
      invokePayload(
        statusResponse({
          train: { id: '103', state: 'PENDING', reason: 'Dependency' },
          prepare: { id: '101', state: 'COMPLETED', reason: '' },
          compile: { id: '102', state: 'RUNNING', reason: '' },
        }),
      ),
    );
    const { code, lines } = await run('status', '--run', 'r1');
    expect(code).toBe(0);
    expect(invokedWith()).toEqual({ action: 'status', run: 'r1' });
    expect(lines).toEqual([
      'Run r1:',
      '  STAGE    JOB  STATE      REASON',
      '  prepare  101  COMPLETED',
      '  compile  102  RUNNING',
      '  train    103  PENDING    Dependency',
    ]);
  });

  test('status prints the train job’s restarts: how many of how many, then each attempt', async () => {
    const restarts = {
      count: 2,
      max: 3,
      history: [
        restartEntry(1),
        restartEntry(2, {
          exitCode: null,
          reason: 'NodeFail',
          drainedNodes: ['ip-10-0-1-6', 'ip-10-0-1-7'],
          time: '2026-01-03T10:00:00Z',
        }),
      ],
    };
    const jobs = { train: { id: '103', state: 'RUNNING', reason: '' } };
    lambda.on(InvokeCommand).resolves(invokePayload(statusResponse(jobs, { restarts })));
    const { lines } = await run('status', '--run', 'r1');
    expect(lines).toEqual([
      'Run r1:',
      '  STAGE  JOB  STATE    REASON',
      '  train  103  RUNNING',
      '  train restarted 2 of 3 times: attempt 1 exit 1 at 2026-01-02 03:04 UTC: NonZeroExitCode; drained ip-10-0-1-5',
      '    attempt 2 without an exit code at 2026-01-03 10:00 UTC: NodeFail; drained ip-10-0-1-6, ip-10-0-1-7',
    ]);
  });

  test('restarts: none yet, all used, and a reason that would break the line', async () => {
    const jobs = { train: { id: '103', state: 'RUNNING', reason: '' } };
    const answer = (restarts: unknown) => invokePayload(statusResponse(jobs, { restarts }));
    lambda.on(InvokeCommand).resolves(answer({ count: 0, max: 3, history: [] }));
    expect((await run('status', '--run', 'r1')).lines.at(-1)).toBe('  train has not restarted (up to 3 restarts)');
    const last = restartEntry(1, {
      exitCode: 137,
      reason: 'killed\n\u001b[31mred',
      drainedNodes: [],
      time: 'yesterday',
    });
    lambda.on(InvokeCommand).resolves(answer({ count: 1, max: 1, history: [last] }));
    expect((await run('status', '--run', 'r1')).lines.at(-1)).toBe(
      '  train restarted 1 of 1 time (no restart left): attempt 1 exit 137 at yesterday: killed ?[31mred',
    );
    // No restarts in the answer: no line about them.
    lambda.on(InvokeCommand).resolves(invokePayload(statusResponse(jobs)));
    expect((await run('status', '--run', 'r1')).lines.join('\n')).not.toContain('restart');
  });

  test('cancel prints the cancelled jobs, or that none was left', async () => {
    lambda
      .on(InvokeCommand)
      .resolvesOnce(invokePayload({ action: 'cancel', run: 'r1', cancelled: ['103', '104', '105'] }))
      .resolvesOnce(invokePayload({ action: 'cancel', run: 'r1', cancelled: [] }));
    expect((await run('cancel', '--run', 'r1')).lines).toEqual(['Run r1: cancelled jobs 103, 104, 105.']);
    expect(invokedWith()).toEqual({ action: 'cancel', run: 'r1' });
    expect((await run('cancel', '--run', 'r1')).lines).toEqual(['Run r1: no job left to cancel.']);
  });
});

describe('failures', () => {
  test.each([
    [
      'the function refused the request: exit 2 with its message (nothing reached the cluster)',
      'InvalidRequest',
      'Invalid training request:\n  - nodes = 17 (override): more than the 16 nodes',
      EXIT_CODES.usage,
      '',
    ],
    [
      'a failure of the function: exit 1 with its message and where its logs are',
      'ManifestError',
      'The manifest s3://b/datasets/r1/manifest.json cannot be trained from:\n  - no manifest',
      EXIT_CODES.failed,
      `\nIts logs: CloudWatch Logs of the function ${FUNCTION}.`,
    ],
  ])('%s', async (_name, errorType, errorMessage, exitCode, logs) => {
    lambda.on(InvokeCommand).resolves(functionError({ errorType, errorMessage }));
    const { code, error } = await run('submit', '--run', 'r1');
    expect(code).toBe(exitCode);
    expect(error).toBe(`npm run submit failed: ${errorType}: ${errorMessage}${logs}`);
  });

  test('the function timed out: says so, and that submitting again is safe', async () => {
    lambda.on(InvokeCommand).resolves(functionError({ errorMessage: 'Task timed out after 300.00 seconds' }));
    const { code, error } = await run('submit', '--run', 'r1');
    expect(code).toBe(1);
    expect(error).toMatch(
      /^npm run submit: the training function timed out \(Task timed out after 300.00 seconds\)\. .* submitting is idempotent\.$/,
    );
  });

  test('no training stack: says to deploy it, invokes nothing', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Stack with id trainium-cpt-training does not exist'), { name: 'ValidationError' }),
      );
    const { code, error } = await run('status', '--run', 'r1');
    expect(code).toBe(1);
    expect(error).toBe(
      'Stack trainium-cpt-training does not exist in us-east-1. Deploy it first: npx cdk deploy trainium-cpt-training (with the same -c flags).',
    );
    expect(lambda.calls()).toHaveLength(0);
  });

  test('a stack without the output: its deployment did not finish', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'x', StackStatus: 'CREATE_IN_PROGRESS', CreationTime: new Date(0), Outputs: [] }],
    });
    const { error } = await run('status', '--run', 'r1');
    expect(error).toMatch(/^Stack trainium-cpt-training \(CREATE_IN_PROGRESS\) has no output TrainingFunctionName/);
  });

  test('AWS refusing the invoke: names the permission', async () => {
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const { code, error } = await run('cancel', '--run', 'r1');
    expect(code).toBe(1);
    expect(error).toBe(
      'Lambda Invoke failed (AccessDeniedException: not authorized). Your AWS identity needs lambda:Invoke.',
    );
  });
});

describe('refused before any AWS call (exit 2)', () => {
  afterEach(() => {
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(lambda.calls()).toHaveLength(0);
  });

  test('a bad run name, a bad value, an unknown flag: every problem at once', async () => {
    const { code, error } = await run(
      'submit',
      '--run',
      'r1;reboot',
      '--nodes',
      'x',
      '--tensor-parallel',
      '3',
      '--bogus',
      '1',
    );
    expect(code).toBe(EXIT_CODES.usage);
    expect(error.split('\n')).toEqual([
      'Invalid arguments to npm run submit:',
      expect.stringMatching(/^ {2}- "--bogus": not an option\. Accepted: --run, --resume, --nodes, .*--help$/),
      '  - --run = "r1;reboot": not a valid run name. Accepted: 1 to 63 lowercase letters, digits and hyphens, starting with a letter or digit',
      '  - --nodes = "x": not accepted. Accepted: an integer of at least 1, at most nodeCount (the queue\'s size)',
      '  - --tensor-parallel = "3": not accepted. Accepted: a divisor of the 32 NeuronCores of a node (and of the 32 attention heads): 1, 2, 4, 8, 16 or 32',
      'See: npm run submit -- --help',
    ]);
  });

  test('settings the deployed configuration cannot run, in the words of the flags', async () => {
    const { code, error } = await run('submit', '--run', 'r1', '--nodes', '17', '--micro-batch', '3');
    expect(code).toBe(2);
    expect(error).toContain(
      "  - --nodes = 17: more than the 16 nodes of the cluster's queue (nodeCount). Accepted: an integer from 1 to 16",
    );
    expect(error).toContain(
      "  - globalBatch = 2048 (the deployed configuration's, no --global-batch given): not a multiple of 204 = data-parallel degree 68 (17 nodes × 32 cores ÷ TP 8) × microBatch 3",
    );
  });

  test('submit options on status or cancel, a missing run, a missing value', async () => {
    expect((await run('status', '--run', 'r1', '--nodes', '2')).error).toContain(
      '"--nodes": not an option (--nodes is an option of npm run submit)',
    );
    expect((await run('cancel')).error).toContain('--run: missing.');
    expect((await run('submit', '--run')).error).toContain('--run: needs a value.');
    expect((await run('status', '--run', 'a', '--run', 'b')).error).toContain('--run: given twice ("a" and "b")');
  });

  test('--resume with overrides: refused, naming both', async () => {
    const { code, error } = await run('submit', '--run', 'r1', '--resume', '--nodes', '8', '--steps=100');
    expect(code).toBe(EXIT_CODES.usage);
    expect(error.split('\n')).toEqual([
      'Invalid arguments to npm run submit:',
      '  - --resume with --nodes, --steps: a resumed run keeps the settings it was first submitted with. Accepted: --resume alone, or the options without --resume',
      'See: npm run submit -- --help',
    ]);
  });

  test('--resume takes no value, is submit’s only, and is read as a flag', async () => {
    expect(parseTrainingArgs(['submit', '--run', 'r1', '--resume'])).toMatchObject({ resume: true, overrides: {} });
    expect(parseTrainingArgs(['submit', '--resume', '--run', 'r1', '--json'])).toMatchObject({
      resume: true,
      run: 'r1',
      json: true,
    });
    expect(parseTrainingArgs(['submit', '--run', 'r1'])).toMatchObject({ resume: false });
    expect((await run('submit', '--run', 'r1', '--resume=yes')).error).toContain(
      '"--resume=yes": --resume takes no value',
    );
    expect((await run('submit', '--run', 'r1', '--resume', '--resume')).error).toContain('--resume: given twice');
    expect((await run('status', '--run', 'r1', '--resume')).error).toContain(
      '"--resume": not an option (--resume is an option of npm run submit)',
    );
  });

  test('numbers in forms that are not plain: signs, hex, blanks', async () => {
    for (const value of ['-1', '+4', '0x10', ' 4', '4 ', '', '1e3']) {
      expect((await run('submit', '--run', 'r1', '--nodes', value)).code).toBe(2);
    }
    expect(parseTrainingArgs(['submit', '--run', 'r1', '--learning-rate', '1.5e-4']).overrides).toEqual({
      learningRate: 1.5e-4,
    });
  });

  test('an invalid configuration from -c', async () => {
    const { code, error } = await run('status', '--run', 'r1', '-c', 'nodeCount=0');
    expect(code).toBe(2);
    expect(error).toMatch(/^Invalid trainium-cpt configuration:\n {2}- nodeCount = 0 \(from -c\)/);
  });

  test('--help prints the options of the action', async () => {
    const { code, lines } = await run('status', '--help');
    expect(code).toBe(0);
    expect(lines[0]).toBe('Usage: npm run status -- --run <name>');
    expect(lines.join('\n')).not.toContain('--nodes');
    expect((await run('submit', '--help')).lines.join('\n')).toContain('--checkpoints-kept <n>');
    expect((await run('submit', '--help')).lines).toContainEqual(
      expect.stringMatching(/^ {2}--resume +continue the run from its newest checkpoint/),
    );
  });

  test('an unknown action', () => {
    expect(() => parseTrainingArgs(['train', '--run', 'r1'])).toThrow(UsageError);
    expect(() => parseTrainingArgs([])).toThrow('"": not an action. Accepted: submit, status, cancel');
  });
});

describe('the command as npm runs it', () => {
  const cli = (...args: string[]) => runCli('cli/training/main.ts', args);

  test('--help exits 0', () => {
    const { status, stdout, stderr } = cli('submit', '--help');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run submit -- --run <name> \[--resume \| options\]\n/);
    expect(stderr).toBe('');
  });

  test('bad flags exit 2 with the problems only, no stack trace', () => {
    const { status, stdout, stderr } = cli('cancel', '--run', '$(reboot)');
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'Invalid arguments to npm run cancel:\n  - --run = "$(reboot)": not a valid run name. Accepted: 1 to 63 lowercase letters, digits and hyphens, starting with a letter or digit\nSee: npm run cancel -- --help\n',
    );
  });
});
