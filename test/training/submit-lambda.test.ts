import { GetJobRunCommand } from '@aws-sdk/client-glue';
import { GetObjectCommand, NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import {
  GetCommandInvocationCommand,
  InvalidInstanceId,
  InvocationDoesNotExist,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { createHandler, DEFAULT_BUDGET_MS, RESERVE_MS, SubmitResponse } from '../../lambda/submit';
import { DELIVERY_TIMEOUT_SECONDS, FIRST_POLL_MS, POLL_MS } from '../../lambda/submit/head-node';
import { EXECUTION_TIMEOUT_SECONDS } from '../../lib/training/command-document';
import { encodeRequest } from '../../lib/training/contract';
import { ENV } from '../../lib/training/contract';
import {
  COMMAND_ID,
  contextWith,
  DATASETS,
  decodeParameters,
  defaultSubmitRequest,
  DOCUMENT_NAME,
  fakeClock,
  INSTANCE_ID,
  invocation,
  JOB_NAME,
  manifest,
  mockFunctionClients,
  objectBody,
  restartEntry,
  setFunctionEnvironment,
  statusResponse,
  submitResponse,
  submitLine,
} from './support';

const { ssm, s3, glue } = mockFunctionClients();

const notYet = () => new InvocationDoesNotExist({ message: 'Invocation does not exist', $metadata: {} });

let time: ReturnType<typeof fakeClock>;
let handler: ReturnType<typeof createHandler>;

beforeEach(() => {
  time = fakeClock();
  handler = createHandler(time.clock);
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND_ID } });
  s3.on(GetObjectCommand).resolves(objectBody(JSON.stringify(manifest('r1'))));
});

/** The one command sent, and its decoded request. */
function sentCommand() {
  const calls = ssm.commandCalls(SendCommandCommand);
  expect(calls).toHaveLength(1);
  const input = calls[0].args[0].input;
  return { input, ...decodeParameters(input.Parameters) };
}

// ceil(100,000 training rows of the manifest fixture × 3 epochs ÷ 2,048) = ceil(146.48) = 147 steps.
const SUBMIT_REQUEST = defaultSubmitRequest(147);

describe('submit', () => {
  test('reads the manifest, sends exactly the contract’s command to the head node only, and returns the jobs', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation(`prepared /fsx/checkpoints/r1\n${submitLine()}\n`));
    const result = (await handler({ action: 'submit', run: 'r1' })) as SubmitResponse;

    expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: DATASETS, Key: 'datasets/r1/manifest.json' });

    const { input, request, action } = sentCommand();
    // The stack's document, its newest version, and only its two parameters: no command line, no timeout of ours.
    expect(input).toEqual({
      DocumentName: DOCUMENT_NAME,
      DocumentVersion: '$LATEST',
      InstanceIds: [INSTANCE_ID],
      Parameters: { action: ['submit'], request: [encodeRequest(SUBMIT_REQUEST as never)] },
      TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
      Comment: 'trainium-cpt submit r1',
    });
    expect(action).toBe('submit');
    expect(request).toEqual(SUBMIT_REQUEST);
    // Standard base64 on one line, of the JSON's UTF-8.
    expect(input.Parameters?.request).toEqual([Buffer.from(JSON.stringify(SUBMIT_REQUEST), 'utf8').toString('base64')]);

    expect(ssm).toHaveReceivedCommandWith(GetCommandInvocationCommand, {
      CommandId: COMMAND_ID,
      InstanceId: INSTANCE_ID,
    });
    expect(result).toMatchObject(
      submitResponse({
        warnings: [
          "checkpointEvery 500 is more than the run's 147 steps: the run saves exactly one checkpoint, the final one (step 147); a failure before it restarts training from the base model",
        ],
        request: SUBMIT_REQUEST,
      }),
    );
    expect(result.plan).toMatchObject({
      dataParallel: 64,
      gradientAccumulation: 32,
      steps: 147,
      trainRows: 100_000,
      savedSteps: [147],
    });
    // The three fields after partition: the configuration's restarts, the derived limits, and no resume.
    expect(request).toMatchObject({
      maxTrainRestarts: 3,
      timeLimits: { prepare: 43, compile: 190, train: 107, export: 36, evaluate: 137 },
      resume: false,
    });
    // An answer without resume fields gets none.
    expect(result).not.toHaveProperty('resumed');
    expect(result).not.toHaveProperty('resumeFrom');
  });

  test('overrides change the request, within the configuration’s rules', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation(submitLine()));
    const overrides = {
      nodes: 4,
      globalBatch: 512,
      microBatch: 2,
      learningRate: 3e-4,
      steps: 50,
      warmupSteps: 5,
      checkpointEvery: 25,
      checkpointsKept: 2,
    };
    const result = (await handler({ action: 'submit', run: 'r1', overrides })) as SubmitResponse;
    expect(sentCommand().request).toEqual({
      ...SUBMIT_REQUEST,
      nodes: 4,
      globalBatch: 512,
      microBatch: 2,
      learningRate: 3e-4,
      minLearningRate: 3e-5,
      steps: 50,
      warmupSteps: 5,
      checkpointEvery: 25,
      checkpointsKept: 2,
      // 50 steps on 4 nodes, checkpoints at 25 and 50, both exported: 3 models evaluated.
      timeLimits: { prepare: 43, compile: 190, train: 48, export: 66, evaluate: 203 },
      // 4 nodes × 32 ÷ TP 8 = 16 replicas, 512 ÷ (16 × 2) = 16 micro-batches; the decay from 3e-4 after 5 warm-up
      // steps reaches 3e-5 at step 50, so 0 at 5 + 45 ÷ 0.9 = 55. A step is 512 × 4,096 tokens.
      derived: {
        ...SUBMIT_REQUEST.derived,
        dataParallel: 16,
        gradientAccumulation: 16,
        scheduleSteps: 55,
        tokensPerStep: 512 * 4096,
      },
    });
    expect(result.plan).toMatchObject({
      dataParallel: 16,
      gradientAccumulation: 16,
      stepsFrom: 'steps',
      overrides,
      savedSteps: [25, 50],
    });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^microBatch 2 \(above 1\) is unlikely to fit a NeuronCore's 16 GiB of memory/),
    ]);
  });

  test('resume: true goes into the request; the script’s resumed and resumeFrom come back', async () => {
    const answer = { ...JSON.parse(submitLine()), resumed: true, resumeFrom: 'step_1500' };
    ssm.on(GetCommandInvocationCommand).resolves(invocation(JSON.stringify(answer)));
    const result = (await handler({ action: 'submit', run: 'r1', resume: true })) as SubmitResponse;
    expect(sentCommand().request).toEqual(defaultSubmitRequest(147, true));
    expect(result).toMatchObject({ created: true, resumed: true, resumeFrom: 'step_1500', request: { resume: true } });
  });

  test('resume: false is the same as no resume; a resume with nothing to resume from says null', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .resolves(invocation(JSON.stringify({ ...JSON.parse(submitLine()), resumed: true, resumeFrom: null })));
    const result = (await handler({ action: 'submit', run: 'r1', resume: false })) as SubmitResponse;
    expect(sentCommand().request).toEqual(SUBMIT_REQUEST);
    expect(result.resumeFrom).toBeNull();
  });

  test('resume with overrides: refused before anything is read or sent, naming both', async () => {
    await expect(
      handler({ action: 'submit', run: 'r1', resume: true, overrides: { nodes: 8, steps: 100 } }),
    ).rejects.toMatchObject({
      name: 'InvalidRequest',
      message:
        'Invalid training request:\n  - resume = true and overrides (nodes, steps): a resumed run keeps the settings it was first submitted with. ' +
        'Accepted: resume alone, or overrides without resume',
    });
    expect(s3.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });

  test('resume that is not a boolean: refused with what is accepted', async () => {
    await expect(handler({ action: 'submit', run: 'r1', resume: 'yes' })).rejects.toThrow(
      'resume = "yes": not a boolean. Accepted: true (continue the run from its newest checkpoint, with its settings) or false',
    );
    await expect(handler({ action: 'status', run: 'r1', resume: true })).rejects.toThrow(/unknown key "resume"/);
    expect(ssm.calls()).toHaveLength(0);
  });

  test('a resumed answer that breaks the contract (resumeFrom a number) is an error', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .resolves(invocation(JSON.stringify({ ...JSON.parse(submitLine()), resumed: true, resumeFrom: 1500 })));
    await expect(handler({ action: 'submit', run: 'r1', resume: true })).rejects.toThrow(/resumeFrom/);
  });

  test('the same run twice: the script keeps its jobs and the function reports created: false', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .resolvesOnce(invocation(submitLine('r1', true)))
      .resolvesOnce(invocation(submitLine('r1', false)));
    const first = (await handler({ action: 'submit', run: 'r1' })) as SubmitResponse;
    const second = (await handler({ action: 'submit', run: 'r1', overrides: { nodes: 8 } })) as SubmitResponse;
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.jobs).toEqual(first.jobs);
    expect(ssm).toHaveReceivedCommandTimes(SendCommandCommand, 2);
  });

  test("a chain that ended: the script's message on how to continue it is passed on", async () => {
    const message = 'the chain of run r1 ended FAILED at train; `npm run submit -- --run r1 --resume` continues it';
    const line = JSON.stringify({
      ...JSON.parse(submitLine('r1', false)),
      resumed: false,
      resumeFrom: 'step_500',
      message,
    });
    ssm.on(GetCommandInvocationCommand).resolves(invocation(line));
    const answer = (await handler({ action: 'submit', run: 'r1' })) as SubmitResponse;
    expect([answer.created, answer.resumed, answer.resumeFrom, answer.message]).toEqual([
      false,
      false,
      'step_500',
      message,
    ]);
  });

  test('job IDs printed as numbers are kept as strings', async () => {
    const numeric = JSON.stringify({
      run: 'r1',
      created: true,
      jobs: { prepare: 1, compile: 2, train: 3, export: 4, evaluate: 5 },
      runDir: '/x',
    });
    ssm.on(GetCommandInvocationCommand).resolves(invocation(numeric));
    const result = (await handler({ action: 'submit', run: 'r1' })) as SubmitResponse;
    expect(result.jobs).toEqual({ prepare: '1', compile: '2', train: '3', export: '4', evaluate: '5' });
  });

  test('no manifest: says to tokenize first (S3 answers AccessDenied to a role that may not list), sends nothing', async () => {
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'Access Denied' }),
    );
    await expect(handler({ action: 'submit', run: 'r9' })).rejects.toThrow(
      `The manifest s3://${DATASETS}/datasets/r9/manifest.json cannot be trained from:\n  - no manifest (S3 AccessDenied): run r9 has not been tokenized, or its tokenization has not succeeded yet. Tokenize it first: npm run tokenize -- --run r9`,
    );
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ $metadata: {}, message: 'The specified key does not exist.' }));
    await expect(handler({ action: 'submit', run: 'r9' })).rejects.toThrow(/no manifest \(S3 NoSuchKey\)/);
    expect(ssm.calls()).toHaveLength(0);
  });

  test('a manifest that cannot be trained from: the problem, nothing sent', async () => {
    s3.on(GetObjectCommand).resolves(objectBody(JSON.stringify(manifest('r1', { sequenceLength: 2048 }))));
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toMatchObject({
      name: 'ManifestError',
      message: expect.stringContaining("parameters.sequenceLength = 2048: the configuration's sequenceLength is 4096"),
    });
    expect(ssm.calls()).toHaveLength(0);
  });

  test('settings that cannot run are refused before the manifest is read', async () => {
    await expect(handler({ action: 'submit', run: 'r1', overrides: { nodes: 3 } })).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringContaining('globalBatch = 2048 (default): not a multiple of 12'),
    });
    expect(s3.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });

  test('a warm-up longer than the run is refused after the manifest, before any command', async () => {
    s3.on(GetObjectCommand).resolves(objectBody(JSON.stringify(manifest('r1', { trainRows: 2048 }))));
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toThrow(
      /warmupSteps = 100 \(default\): not below the run's 3 steps/,
    );
    expect(ssm.calls()).toHaveLength(0);
  });
});

describe('status and cancel', () => {
  test('status sends {"version":2,"run"} and returns each stage’s job, state and reason', async () => {
    const line = JSON.stringify({
      run: 'r1',
      jobs: {
        prepare: { id: '101', state: 'COMPLETED', reason: 'None' },
        compile: { id: 102, state: 'RUNNING', reason: null },
        train: { id: '103', state: 'PENDING', reason: 'Dependency' },
      },
    });
    ssm.on(GetCommandInvocationCommand).resolves(invocation(line));
    const result = await handler({ action: 'status', run: 'r1' });
    const { input, request, action } = sentCommand();
    expect(action).toBe('status');
    expect(request).toEqual({ version: 2, run: 'r1' });
    expect(input.Parameters).toEqual({
      action: ['status'],
      request: [Buffer.from('{"version":2,"run":"r1"}').toString('base64')],
    });
    expect(input.InstanceIds).toEqual([INSTANCE_ID]);
    expect(input.DocumentName).toBe(DOCUMENT_NAME);
    expect(input.DocumentVersion).toBe('$LATEST');
    expect(result).toEqual(
      statusResponse({
        prepare: { id: '101', state: 'COMPLETED', reason: 'None' },
        compile: { id: '102', state: 'RUNNING', reason: '' },
        train: { id: '103', state: 'PENDING', reason: 'Dependency' },
      }),
    );
    // Status reads no manifest.
    expect(s3.calls()).toHaveLength(0);
  });

  test('status passes the train job’s restarts on, as the script reports them', async () => {
    const restarts = {
      count: 2,
      max: 3,
      history: [
        restartEntry(1, { jobId: 103 }),
        restartEntry(2, { exitCode: null, reason: 'NodeFail', drainedNodes: [], time: '2026-01-03T00:00:00Z' }),
      ],
    };
    const line = JSON.stringify({
      run: 'r1',
      jobs: { train: { id: '103', state: 'PENDING', reason: 'BeginTime' } },
      restarts,
    });
    ssm.on(GetCommandInvocationCommand).resolves(invocation(line));
    const result = await handler({ action: 'status', run: 'r1' });
    expect(result).toMatchObject({
      action: 'status',
      restarts: { ...restarts, history: [{ ...restarts.history[0], jobId: '103' }, restarts.history[1]] },
    });
    // Without restarts in the answer: none in the response.
    ssm.on(GetCommandInvocationCommand).resolves(invocation(JSON.stringify({ run: 'r1', jobs: {} })));
    expect(await handler({ action: 'status', run: 'r1' })).not.toHaveProperty('restarts');
  });

  test('restarts outside the contract (a history entry without its reason) are an error', async () => {
    const restarts = {
      count: 1,
      max: 3,
      history: [{ attempt: 1, jobId: '103', exitCode: 1, drainedNodes: [], time: 't' }],
    };
    ssm.on(GetCommandInvocationCommand).resolves(invocation(JSON.stringify({ run: 'r1', jobs: {}, restarts })));
    await expect(handler({ action: 'status', run: 'r1' })).rejects.toThrow(/restarts/);
  });

  test('cancel sends {"version":2,"run"} and returns the cancelled jobs', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .resolves(invocation(JSON.stringify({ run: 'r1', cancelled: ['103', 104, '105'] })));
    const result = await handler({ action: 'cancel', run: 'r1' });
    const { input, request } = sentCommand();
    expect(input.Parameters).toEqual({
      action: ['cancel'],
      request: [Buffer.from('{"version":2,"run":"r1"}').toString('base64')],
    });
    expect(input.DocumentName).toBe(DOCUMENT_NAME);
    expect(request).toEqual({ version: 2, run: 'r1' });
    expect(result).toEqual({ action: 'cancel', run: 'r1', cancelled: ['103', '104', '105'], commandId: COMMAND_ID });
  });
});

describe('waiting for the head node', () => {
  test('InvocationDoesNotExist right after SendCommand, then InProgress, then Success', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .rejectsOnce(notYet())
      .resolvesOnce(invocation('', 'Pending'))
      .resolvesOnce(invocation('', 'InProgress'))
      .resolvesOnce(invocation(submitLine()));
    const result = (await handler({ action: 'submit', run: 'r1' })) as SubmitResponse;
    expect(result.created).toBe(true);
    expect(ssm).toHaveReceivedCommandTimes(GetCommandInvocationCommand, 4);
    expect(time.sleeps).toEqual([FIRST_POLL_MS, POLL_MS, POLL_MS, POLL_MS]);
  });

  test('Failed with the script’s {"error"} line: that error, with the exit code', async () => {
    const stdout = 'checking the run\n{"error":"partition trn has no node that can start: check sinfo"}\n';
    ssm
      .on(GetCommandInvocationCommand)
      .resolves(invocation(stdout, 'Failed', { ResponseCode: 3, StandardErrorContent: 'sbatch: error' }));
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toMatchObject({
      name: 'ScriptError',
      message: 'cpt-run.sh submit failed (exit 3): partition trn has no node that can start: check sinfo',
    });
  });

  test('an {"error"} line is an error even when the exit code is 0', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation('{"error":"no such run: r1"}'));
    await expect(handler({ action: 'status', run: 'r1' })).rejects.toThrow(
      'cpt-run.sh status failed (exit 0): no such run: r1',
    );
  });

  test('Failed without an error line: the status, the exit code and the end of stderr', async () => {
    const stderr = `${'x'.repeat(3000)}\nbash: /fsx/trainium-cpt/training/b/cpt-run.sh: No such file or directory`;
    ssm
      .on(GetCommandInvocationCommand)
      .resolves(invocation('', 'Failed', { ResponseCode: 127, StandardErrorContent: stderr }));
    const error = await handler({ action: 'status', run: 'r1' }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'HeadNodeError' });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^cpt-run\\.sh status failed \\(Failed, exit 127\\) \\(command ${COMMAND_ID} on ${INSTANCE_ID}\\) without an error line\\. Its stderr ends with: …x+\\nbash: .*No such file or directory$`,
      ),
    );
    expect((error as Error).message.length).toBeLessThan(1700);
  });

  test('TimedOut while running: the script ran past the execution timeout', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .resolves(invocation('', 'TimedOut', { StatusDetails: 'ExecutionTimedOut', ResponseCode: -1 }));
    await expect(handler({ action: 'cancel', run: 'r1' })).rejects.toThrow(
      `cpt-run.sh cancel ran longer than ${EXECUTION_TIMEOUT_SECONDS} s and was stopped (command ${COMMAND_ID} on ${INSTANCE_ID}).`,
    );
  });

  test('TimedOut before delivery: the head node is down or its agent offline', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .resolves(invocation('', 'TimedOut', { StatusDetails: 'DeliveryTimedOut', ResponseCode: -1 }));
    await expect(handler({ action: 'status', run: 'r1' })).rejects.toThrow(
      `The head node did not take the command within ${DELIVERY_TIMEOUT_SECONDS} s (command ${COMMAND_ID} on ${INSTANCE_ID}): is it running, with its SSM agent online?`,
    );
  });

  test('Cancelled', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation('', 'Cancelled', { ResponseCode: -1 }));
    await expect(handler({ action: 'status', run: 'r1' })).rejects.toThrow(
      `The command was cancelled (command ${COMMAND_ID} on ${INSTANCE_ID}).`,
    );
  });

  test('no answer within the budget: stops before the function times out and says how to look', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation('', 'InProgress'));
    const remaining = 300_000;
    const error = await handler({ action: 'submit', run: 'r1' }, contextWith(remaining)).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'HeadNodeError' });
    expect((error as Error).message).toBe(
      `No answer from the head node within the function's time (command ${COMMAND_ID}, last status InProgress). ` +
        `It may still finish; look at it with: aws ssm get-command-invocation --command-id ${COMMAND_ID} --instance-id ${INSTANCE_ID}`,
    );
    expect(time.elapsed()).toBeLessThanOrEqual(remaining - RESERVE_MS);
    expect(time.elapsed()).toBeGreaterThan(remaining - RESERVE_MS - POLL_MS);
  });

  test('without a Lambda context the budget is the default', async () => {
    ssm.on(GetCommandInvocationCommand).rejects(notYet());
    await expect(handler({ action: 'status', run: 'r1' })).rejects.toThrow(/last status not yet registered/);
    expect(time.elapsed()).toBeLessThanOrEqual(DEFAULT_BUDGET_MS);
    expect(time.elapsed()).toBeGreaterThan(DEFAULT_BUDGET_MS - POLL_MS);
  });

  test('the last line is read: logs before it are fine; output that does not end with JSON is an error', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation('sbatch: Submitted batch job 101\nnot json at all\n'));
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toMatchObject({
      name: 'ScriptError',
      message: `cpt-run.sh submit did not end its output with a JSON line (command ${COMMAND_ID} on ${INSTANCE_ID}).`,
    });
  });

  test('stdout cut at 24,000 characters by SSM: the error says so', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .resolves(invocation(`${'log line\n'.repeat(2700)}{"run":"r1","cre`.slice(0, 24_000)));
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toThrow(
      /SSM keeps only the first 24000 characters of stdout/,
    );
  });

  test('an answer outside the contract is an error naming what is wrong', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation('{"run":"r1","created":"yes","jobs":{},"runDir":"/x"}'));
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toThrow(
      /answered outside the contract .*created: .*jobs\.prepare/,
    );
    ssm.on(GetCommandInvocationCommand).resolves(invocation(submitLine('r2')));
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toThrow(
      'cpt-run.sh submit answered for run "r2", not r1.',
    );
  });

  test('a head node SSM cannot reach: InvalidInstanceId, with the command to check it', async () => {
    ssm
      .on(SendCommandCommand)
      .rejects(new InvalidInstanceId({ message: 'Instances not in a valid state for account', $metadata: {} }));
    await expect(handler({ action: 'status', run: 'r1' })).rejects.toThrow(
      `The head node ${INSTANCE_ID} cannot take SSM commands (InvalidInstanceId: Instances not in a valid state for account): it is stopped, replaced or not yet registered with SSM. Check it: aws ssm describe-instance-information --filters Key=InstanceIds,Values=${INSTANCE_ID}`,
    );
    expect(ssm).toHaveReceivedCommandTimes(GetCommandInvocationCommand, 0);
  });

  test('other SSM errors are passed on with the API name', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handler({ action: 'status', run: 'r1' })).rejects.toThrow(
      `SSM GetCommandInvocation on command ${COMMAND_ID} failed (ThrottlingException: Rate exceeded).`,
    );
  });
});

describe('data-ready: the tokenization job succeeded (EventBridge, with autoSubmitOnDataReady)', () => {
  const RUN_ID = 'jr_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

  test('reads --run of the job run from Glue, then submits it like npm run submit', async () => {
    setFunctionEnvironment({ autoSubmit: true });
    glue
      .on(GetJobRunCommand)
      .resolves({ JobRun: { Id: RUN_ID, JobRunState: 'SUCCEEDED', Arguments: { '--run': 'r1', '--seed': '7' } } });
    ssm.on(GetCommandInvocationCommand).resolves(invocation(submitLine()));
    const result = (await handler({ action: 'data-ready', jobRunId: RUN_ID })) as SubmitResponse;
    expect(glue).toHaveReceivedCommandWith(GetJobRunCommand, { JobName: JOB_NAME, RunId: RUN_ID });
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: DATASETS, Key: 'datasets/r1/manifest.json' });
    expect(sentCommand().request).toEqual(SUBMIT_REQUEST);
    expect(result).toMatchObject({
      action: 'submit',
      run: 'r1',
      created: true,
      trigger: { jobName: JOB_NAME, jobRunId: RUN_ID },
    });
  });

  test('a retried attempt’s run ID is accepted', async () => {
    setFunctionEnvironment({ autoSubmit: true });
    glue.on(GetJobRunCommand).resolves({ JobRun: { JobRunState: 'SUCCEEDED', Arguments: { '--run': 'r1' } } });
    ssm.on(GetCommandInvocationCommand).resolves(invocation(submitLine()));
    await handler({ action: 'data-ready', jobRunId: `${RUN_ID}_attempt_1` });
    expect(glue).toHaveReceivedCommandWith(GetJobRunCommand, { RunId: `${RUN_ID}_attempt_1` });
  });

  test('automatic submission off: refused without calling Glue', async () => {
    await expect(handler({ action: 'data-ready', jobRunId: RUN_ID })).rejects.toThrow(
      /automatic submission is off \(autoSubmitOnDataReady is false/,
    );
    expect(glue.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });

  test('a run that did not succeed, or whose --run is missing or not a run name: refused, nothing sent', async () => {
    setFunctionEnvironment({ autoSubmit: true });
    glue.on(GetJobRunCommand).resolves({ JobRun: { JobRunState: 'FAILED', Arguments: { '--run': 'r1' } } });
    await expect(handler({ action: 'data-ready', jobRunId: RUN_ID })).rejects.toThrow(/is FAILED, not SUCCEEDED/);
    glue.on(GetJobRunCommand).resolves({ JobRun: { JobRunState: 'SUCCEEDED', Arguments: {} } });
    await expect(handler({ action: 'data-ready', jobRunId: RUN_ID })).rejects.toThrow(
      `--run of ${JOB_NAME} run ${RUN_ID} = (none): not a run name.`,
    );
    glue.on(GetJobRunCommand).resolves({ JobRun: { JobRunState: 'SUCCEEDED', Arguments: { '--run': 'r1; reboot' } } });
    await expect(handler({ action: 'data-ready', jobRunId: RUN_ID })).rejects.toThrow(
      `--run of ${JOB_NAME} run ${RUN_ID} = "r1; reboot": not a run name.`,
    );
    expect(s3.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });
});

describe("the function's environment", () => {
  test('a document name that is not SSM’s, or is one of AWS’s own, is refused before any call', async () => {
    for (const bad of ['AWS-RunShellScript', 'amazon-doc', 'x;reboot', 'ab', 'a b', '']) {
      process.env[ENV.documentName] = bad;
      await expect(handler({ action: 'status', run: 'r1' })).rejects.toMatchObject({
        name: 'ConfigurationError',
        message: expect.stringContaining(
          `TRAINING_DOCUMENT_NAME = ${JSON.stringify(bad === '' ? null : bad)}: not valid`,
        ),
      });
    }
    expect(ssm.calls()).toHaveLength(0);
  });

  test('defaults that are not the configuration’s shape, and other bad variables, are each named', async () => {
    process.env[ENV.defaults] = JSON.stringify({ nodes: 0 });
    process.env[ENV.headNodeInstanceId] = 'i-123; reboot';
    const error = await handler({ action: 'status', run: 'r1' }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /^The training function is misconfigured \(redeploy the training stack\):\n/,
    );
    expect((error as Error).message).toContain('HEAD_NODE_INSTANCE_ID = "i-123; reboot": not valid');
    expect((error as Error).message).toContain('TRAINING_DEFAULTS: nodes');
    expect(ssm.calls()).toHaveLength(0);
  });
});
