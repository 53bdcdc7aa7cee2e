import {
  CloudFormationClient,
  DescribeStacksCommand,
  Output as StackOutput,
  StackStatus,
} from '@aws-sdk/client-cloudformation';
import {
  BatchStopJobRunCommand,
  ConcurrentRunsExceededException,
  GetJobRunCommand,
  GetJobRunsCommand,
  GlueClient,
  JobRun,
  StartJobRunCommand,
} from '@aws-sdk/client-glue';
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, DEFAULTS_CONTEXT_KEY, loadConfig } from '../../lib/config/load';
import { CommandError, describeFailure, UsageError } from '../../cli/shared/command-line';
import { parseTokenizeArgs } from '../../cli/tokenize/args';
import { EXIT_CODES, tokenize, TokenizeDeps } from '../../cli/tokenize/run';
import { mockSdkClients } from '../support/sdk-mocks';

const { cloudFormation, glue } = mockSdkClients({ cloudFormation: CloudFormationClient, glue: GlueClient });

const defaults = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context[
  DEFAULTS_CONTEXT_KEY
];

const JOB = 'trainium-cpt-tokenize';
const RUN_ID = 'jr_0123456789abcdef';
const DATASETS = 'trainium-cpt-data-datasets-1a2b3c';
const GET_RUN = `aws glue get-job-run --job-name ${JOB} --run-id ${RUN_ID} --region us-east-1`;

const OUTPUTS: StackOutput[] = [
  { OutputKey: 'RawBucketName', OutputValue: 'trainium-cpt-data-raw-1a2b3c' },
  { OutputKey: 'DatasetsBucketName', OutputValue: DATASETS },
  { OutputKey: 'ScratchBucketName', OutputValue: 'trainium-cpt-data-scratch-1a2b3c' },
  { OutputKey: 'TokenizeJobName', OutputValue: JOB },
  {
    OutputKey: 'HfTokenSecretArn',
    OutputValue: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf',
  },
];

/** A fake clock: sleeping moves it forward, so following a run of hours takes no time. */
function harness() {
  let now = 0;
  const lines: string[] = [];
  const sleeps: number[] = [];
  const clients = jest.fn(() => ({
    cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
    glue: new GlueClient({ region: 'us-east-1' }),
  }));
  const deps: TokenizeDeps = {
    loadConfig: (context) => loadConfig({ [DEFAULTS_CONTEXT_KEY]: defaults, ...context }),
    clients,
    print: (line) => lines.push(...line.split('\n')),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    now: () => now,
  };
  return { deps, lines, sleeps, clients };
}

/** GetJobRun answers these runs in turn, one per poll. */
function runStates(...runs: Partial<JobRun>[]) {
  let stub = glue.on(GetJobRunCommand);
  for (const run of runs) stub = stub.resolvesOnce({ JobRun: { Id: RUN_ID, JobName: JOB, ...run } });
}

function expectNoAwsCall() {
  expect(cloudFormation.calls()).toHaveLength(0);
  expect(glue.calls()).toHaveLength(0);
}

/** DescribeStacks answers with the data stack in this state, with these outputs. */
function describeDataStack(StackStatus: StackStatus, Outputs: StackOutput[]) {
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'trainium-cpt-data', StackStatus, CreationTime: new Date(0), Outputs }],
  });
}

beforeEach(() => {
  describeDataStack('CREATE_COMPLETE', OUTPUTS);
  glue.on(StartJobRunCommand).resolves({ JobRunId: RUN_ID });
});

describe('a run that succeeds', () => {
  test('starts the job with --run only, polls every 30 s, prints state changes, progress and the manifest', async () => {
    runStates(
      { JobRunState: 'STARTING' },
      { JobRunState: 'RUNNING' },
      { JobRunState: 'RUNNING' },
      { JobRunState: 'RUNNING', ExecutionTime: 60 },
      { JobRunState: 'RUNNING', ExecutionTime: 90 },
      { JobRunState: 'SUCCEEDED', ExecutionTime: 125, DPUSeconds: 1250 },
    );
    const { deps, lines, sleeps } = harness();

    await expect(tokenize(['--run', 'medical-v1'], deps)).resolves.toBe(EXIT_CODES.succeeded);

    expect(cloudFormation).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'trainium-cpt-data' });
    expect(glue).toHaveReceivedCommandTimes(StartJobRunCommand, 1);
    expect(glue.commandCalls(StartJobRunCommand)[0].args[0].input).toEqual({
      JobName: JOB,
      Arguments: { '--run': 'medical-v1' },
    });
    const polls = glue.commandCalls(GetJobRunCommand).map((call) => call.args[0].input);
    expect(polls).toHaveLength(6);
    for (const input of polls) expect(input).toEqual({ JobName: JOB, RunId: RUN_ID, PredecessorsIncluded: false });
    expect(sleeps).toEqual([30_000, 30_000, 30_000, 30_000, 30_000]);
    expect(lines).toEqual([
      `Data stack trainium-cpt-data (us-east-1): Glue job ${JOB}`,
      "Starting run medical-v1: --run medical-v1 (every other argument: the job's default)",
      `Started ${RUN_ID}. Look at it any time with: ${GET_RUN}`,
      '[0:00:00] STARTING',
      '[0:00:30] RUNNING',
      '[0:01:30] still RUNNING; execution time 0:01:00',
      '[0:02:30] SUCCEEDED; execution time 0:02:05, 1,250 DPU-seconds',
      `Manifest: s3://${DATASETS}/datasets/medical-v1/manifest.json`,
    ]);
  });

  test('progress lines come at most once a minute, however often it polls', async () => {
    runStates({ JobRunState: 'RUNNING' }, ...Array.from({ length: 10 }, () => ({ JobRunState: 'RUNNING' as const })), {
      JobRunState: 'SUCCEEDED',
    });
    const { deps, lines } = harness();
    deps.pollSeconds = 20;
    await tokenize(['--run', 'r1'], deps);
    // Polls at 0, 20, ..., 220 s: a line at 0, then at 60, 120 and 180 s, then the end.
    expect(lines.filter((l) => l.startsWith('['))).toEqual([
      '[0:00:00] RUNNING',
      '[0:01:00] still RUNNING',
      '[0:02:00] still RUNNING',
      '[0:03:00] still RUNNING',
      '[0:03:40] SUCCEEDED',
    ]);
  });

  test('passes every override exactly as given, in both --flag value and --flag=value forms', async () => {
    runStates({ JobRunState: 'SUCCEEDED' });
    const { deps, lines } = harness();
    const argv = [
      '--run',
      'law-v2',
      '--domain-uri',
      's3://my-corpora/law/2024/',
      '--general-uri=s3://my-corpora/web/',
      '--format',
      'parquet',
      '--text-field',
      'body_text',
      '--tokenizer-uri',
      's3://my-corpora/tokenizers/llama2/tokenizer.json',
      '--general-share',
      '0.050',
      '--held-out-share=.002',
      '--seed',
      '7',
      '--sequence-length',
      '2048',
      '--add-eos',
    ];
    await expect(tokenize(argv, deps)).resolves.toBe(0);
    expect(glue).toHaveReceivedCommandWith(StartJobRunCommand, {
      JobName: JOB,
      Arguments: {
        '--run': 'law-v2',
        '--domain-uri': 's3://my-corpora/law/2024/',
        '--general-uri': 's3://my-corpora/web/',
        '--format': 'parquet',
        '--text-field': 'body_text',
        '--tokenizer-uri': 's3://my-corpora/tokenizers/llama2/tokenizer.json',
        '--general-share': '0.050',
        '--held-out-share': '.002',
        '--seed': '7',
        '--sequence-length': '2048',
        '--add-eos': 'true',
      },
    });
    expect(Object.keys(glue.commandCalls(StartJobRunCommand)[0].args[0].input.Arguments ?? {})).toHaveLength(11);
    expect(lines[1]).toBe(
      'Starting run law-v2: --run law-v2 --domain-uri s3://my-corpora/law/2024/ --general-uri s3://my-corpora/web/ --format parquet ' +
        '--text-field body_text --tokenizer-uri s3://my-corpora/tokenizers/llama2/tokenizer.json --general-share 0.050 ' +
        "--held-out-share .002 --seed 7 --sequence-length 2048 --add-eos true (every other argument: the job's default)",
    );
  });

  test('empty URIs turn off mixing and the S3 tokenizer; --add-eos false is kept', async () => {
    runStates({ JobRunState: 'SUCCEEDED' });
    const { deps, lines } = harness();
    await tokenize(
      ['--run', 'solo', '--general-uri', '', '--general-share', '0', '--tokenizer-uri=', '--add-eos', 'false'],
      deps,
    );
    expect(glue).toHaveReceivedCommandWith(StartJobRunCommand, {
      JobName: JOB,
      Arguments: {
        '--run': 'solo',
        '--general-uri': '',
        '--general-share': '0',
        '--tokenizer-uri': '',
        '--add-eos': 'false',
      },
    });
    expect(lines[1]).toContain("--general-uri '' --general-share 0 --tokenizer-uri '' --add-eos false");
  });

  test('the data stack is named after projectName from -c', async () => {
    runStates({ JobRunState: 'SUCCEEDED' });
    const { deps } = harness();
    await tokenize(['-c', 'projectName=law-cpt', '--run', 'r1'], deps);
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'law-cpt-data' });
  });

  test('builds the clients from the loaded configuration', async () => {
    runStates({ JobRunState: 'SUCCEEDED' });
    const { deps, clients } = harness();
    await tokenize(['--run', 'r1', '-c', 'region=us-west-2'], deps);
    expect(clients).toHaveBeenCalledTimes(1);
    expect(clients.mock.calls[0]).toEqual([expect.objectContaining({ region: 'us-west-2' })]);
  });
});

describe('a run that ends badly', () => {
  test('FAILED: prints the state and the job error message, returns non-zero', async () => {
    runStates(
      { JobRunState: 'RUNNING' },
      {
        JobRunState: 'FAILED',
        ExecutionTime: 42,
        ErrorMessage: 'ValueError: no file under s3://my-corpora/law/ has the field "text"',
        LogGroupName: '/aws-glue/jobs',
      },
    );
    const { deps, lines } = harness();
    const code = await tokenize(['--run', 'law-v2'], deps);
    expect(code).toBe(EXIT_CODES.failed);
    expect(code).not.toBe(0);
    expect(lines.slice(3)).toEqual([
      '[0:00:00] RUNNING',
      '[0:00:30] FAILED; execution time 0:00:42',
      `Run law-v2 (${RUN_ID}) ended in FAILED: ValueError: no file under s3://my-corpora/law/ has the field "text"`,
      `Logs: CloudWatch Logs, streams that start with ${RUN_ID} under /aws-glue/jobs/`,
    ]);
    expect(lines.join('\n')).not.toContain('Manifest');
  });

  test("TIMEOUT (the job's own timeout): prints it with Glue's message, returns non-zero", async () => {
    runStates(
      { JobRunState: 'RUNNING' },
      { JobRunState: 'TIMEOUT', ExecutionTime: 172800, ErrorMessage: 'Job run timed out' },
    );
    const { deps, lines } = harness();
    await expect(tokenize(['--run', 'big'], deps)).resolves.toBe(EXIT_CODES.failed);
    expect(lines).toContain('[0:00:30] TIMEOUT; execution time 48:00:00');
    expect(lines).toContain(`Run big (${RUN_ID}) ended in TIMEOUT: Job run timed out`);
  });

  test.each(['ERROR', 'STOPPED', 'EXPIRED'] as const)('%s ends the command with a non-zero code', async (state) => {
    runStates({ JobRunState: 'STARTING' }, { JobRunState: state });
    const { deps, lines } = harness();
    await expect(tokenize(['--run', 'r1'], deps)).resolves.toBe(EXIT_CODES.failed);
    expect(lines).toContain(`Run r1 (${RUN_ID}) ended in ${state}: (Glue gave no error message)`);
    expect(glue).toHaveReceivedCommandTimes(GetJobRunCommand, 2);
  });

  test('passes through STOPPING and WAITING, printing each change once', async () => {
    runStates(
      { JobRunState: 'WAITING' },
      { JobRunState: 'WAITING' },
      { JobRunState: 'RUNNING' },
      { JobRunState: 'STOPPING' },
      { JobRunState: 'STOPPED' },
    );
    const { deps, lines } = harness();
    await tokenize(['--run', 'r1'], deps);
    expect(lines.filter((l) => l.startsWith('['))).toEqual([
      '[0:00:00] WAITING',
      '[0:01:00] RUNNING',
      '[0:01:30] STOPPING',
      '[0:02:00] STOPPED',
    ]);
  });
});

describe('the local follow timeout', () => {
  test('stops following (not the run) and says how to look at it later', async () => {
    glue.on(GetJobRunCommand).resolves({ JobRun: { Id: RUN_ID, JobRunState: 'RUNNING' } });
    const { deps, lines, sleeps } = harness();
    deps.pollSeconds = 45;

    await expect(tokenize(['--run', 'big', '--timeout-minutes', '2'], deps)).resolves.toBe(EXIT_CODES.stillRunning);

    // Polls at 0, 45, 90 s, then the last sleep is cut to end on the deadline for a final poll.
    expect(sleeps).toEqual([45_000, 45_000, 30_000]);
    expect(glue).toHaveReceivedCommandTimes(GetJobRunCommand, 4);
    expect(glue).not.toHaveReceivedCommand(BatchStopJobRunCommand);
    expect(glue).toHaveReceivedCommandTimes(StartJobRunCommand, 1);
    expect(lines.slice(3)).toEqual([
      '[0:00:00] RUNNING',
      '[0:01:30] still RUNNING',
      'Stopped following after 2 min; the run goes on (RUNNING).',
      `  Look at it:  ${GET_RUN}`,
      `  Stop it:     aws glue batch-stop-job-run --job-name ${JOB} --job-run-ids ${RUN_ID} --region us-east-1`,
      `  Its manifest, once it succeeds: s3://${DATASETS}/datasets/big/manifest.json`,
    ]);
  });

  test('a run that ends before the timeout ends the command as usual', async () => {
    runStates({ JobRunState: 'RUNNING' }, { JobRunState: 'SUCCEEDED' });
    const { deps } = harness();
    await expect(tokenize(['--run', 'r1', '--timeout-minutes', '60'], deps)).resolves.toBe(0);
  });

  test('a failing GetJobRun stops following with the run ID and the command to look at it', async () => {
    glue
      .on(GetJobRunCommand)
      .resolvesOnce({ JobRun: { JobRunState: 'RUNNING' } })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const { deps } = harness();
    await expect(tokenize(['--run', 'r1'], deps)).rejects.toThrow(
      new CommandError(
        `Glue GetJobRun failed (ThrottlingException: Rate exceeded). The run goes on; look at it with: ${GET_RUN}`,
      ),
    );
  });
});

describe('the run cannot start', () => {
  const busy = new ConcurrentRunsExceededException({ message: `Concurrent runs exceeded for ${JOB}`, $metadata: {} });

  test('another run in progress: names it, says the job allows one run at a time, and follows nothing', async () => {
    glue.on(StartJobRunCommand).rejects(busy);
    glue.on(GetJobRunsCommand).resolves({
      JobRuns: [
        { Id: 'jr_other', JobRunState: 'RUNNING', Arguments: { '--run': 'medical-v0' } },
        { Id: 'jr_older', JobRunState: 'SUCCEEDED', Arguments: { '--run': 'medical-v-1' } },
      ],
    });
    const { deps } = harness();
    await expect(tokenize(['--run', 'medical-v1'], deps)).rejects.toThrow(
      new CommandError(
        `Another run of Glue job ${JOB} is in progress, and the job allows one run at a time: nothing was started. ` +
          'It is jr_other (--run medical-v0), RUNNING. ' +
          `Wait for it to end (aws glue get-job-run --job-name ${JOB} --run-id jr_other --region us-east-1) ` +
          `or stop it (aws glue batch-stop-job-run --job-name ${JOB} --job-run-ids jr_other --region us-east-1), then start again.`,
      ),
    );
    expect(glue).toHaveReceivedCommandWith(GetJobRunsCommand, { JobName: JOB, MaxResults: 10 });
    expect(glue).not.toHaveReceivedCommand(GetJobRunCommand);
  });

  test('another run in progress that cannot be named: the message says how to find it', async () => {
    glue.on(StartJobRunCommand).rejects(busy);
    glue.on(GetJobRunsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const { deps } = harness();
    await expect(tokenize(['--run', 'medical-v1'], deps)).rejects.toThrow(
      new CommandError(
        `Another run of Glue job ${JOB} is in progress, and the job allows one run at a time: nothing was started. ` +
          `Find it with: aws glue get-job-runs --job-name ${JOB} --max-items 5 --region us-east-1`,
      ),
    );
  });

  test('the job does not exist: deploy the data stack', async () => {
    glue.on(StartJobRunCommand).rejects(Object.assign(new Error('Job not found'), { name: 'EntityNotFoundException' }));
    const { deps } = harness();
    await expect(tokenize(['--run', 'r1'], deps)).rejects.toThrow(
      `Glue job ${JOB} (output TokenizeJobName of trainium-cpt-data) does not exist. Deploy the data stack first: npx cdk deploy trainium-cpt-data`,
    );
  });

  test('access denied: names the permission', async () => {
    glue.on(StartJobRunCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const { deps } = harness();
    await expect(tokenize(['--run', 'r1'], deps)).rejects.toThrow(
      'Glue StartJobRun failed (AccessDeniedException: not authorized). Your AWS identity needs glue:StartJobRun.',
    );
  });
});

describe('the data stack', () => {
  /** The command fails with this message, and starts no Glue run. */
  async function expectFailure(message: string) {
    const { deps } = harness();
    await expect(tokenize(['--run', 'r1'], deps)).rejects.toThrow(new CommandError(message));
    expect(glue.calls()).toHaveLength(0);
  }

  test('missing: says to deploy it first, and starts nothing', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id trainium-cpt-data does not exist'), { name: 'ValidationError' }));
    await expectFailure(
      'Stack trainium-cpt-data does not exist in us-east-1. Deploy it first: npx cdk deploy trainium-cpt-data (with the same -c flags).',
    );
  });

  test('an output missing: names it and says to deploy', async () => {
    describeDataStack(
      'UPDATE_ROLLBACK_COMPLETE',
      OUTPUTS.filter((o) => o.OutputKey !== 'TokenizeJobName'),
    );
    await expectFailure(
      'Stack trainium-cpt-data (UPDATE_ROLLBACK_COMPLETE) has no output TokenizeJobName: it is not the data stack of this version, or its deployment did not finish. Deploy it first: npx cdk deploy trainium-cpt-data.',
    );
  });

  test('other CloudFormation errors are passed on with the API name', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      );
    await expectFailure(
      'CloudFormation DescribeStacks failed (CredentialsProviderError: Could not load credentials from any providers). Configure AWS credentials (aws configure, or AWS_PROFILE) and run again.',
    );
  });
});

describe('refused before any AWS call', () => {
  async function refused(argv: string[]): Promise<UsageError> {
    const { deps, clients } = harness();
    const error = await tokenize(argv, deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect(clients).not.toHaveBeenCalled();
    expectNoAwsCall();
    return error as UsageError;
  }

  test('an invalid run name', async () => {
    const error = await refused(['--run', 'Medical_V1']);
    expect(error.problems).toEqual([
      '--run = "Medical_V1": not a valid run name. Accepted: 1 to 63 lowercase letters, digits and hyphens, starting with a letter or digit.',
    ]);
  });

  test('no --run', async () => {
    const error = await refused(['--seed', '1']);
    expect(error.problems).toEqual(['--run: missing. Accepted: 1 to 63 lowercase letters, digits and hyphens']);
  });

  test('an unknown flag: lists the accepted ones', async () => {
    const error = await refused(['--run', 'r1', '--shuffle-seed', '3']);
    expect(error.problems).toEqual([
      '"--shuffle-seed": not an option. Accepted: --run, --domain-uri, --general-uri, --format, --text-field, --tokenizer-uri, ' +
        '--general-share, --held-out-share, --seed, --sequence-length, --add-eos, --timeout-minutes, -c key=value, --help',
      // The value of an unknown flag is not guessed at: it is reported as a stray argument.
      '"3": not an option. Accepted: --run, --domain-uri, --general-uri, --format, --text-field, --tokenizer-uri, ' +
        '--general-share, --held-out-share, --seed, --sequence-length, --add-eos, --timeout-minutes, -c key=value, --help',
    ]);
  });

  test('every bad value at once, each with the flag, the value and what is accepted', async () => {
    const error = await refused([
      '--run',
      'r1',
      '--domain-uri',
      'my-corpora/law/',
      '--general-uri',
      's3://my-corpora/web',
      '--tokenizer-uri',
      's3://my-corpora/tok/vocab.json',
      '--format',
      'csv',
      '--text-field',
      '1text',
      '--general-share',
      '1',
      '--held-out-share',
      '0',
      '--seed',
      '4.5',
      '--sequence-length',
      '8192',
      '--add-eos',
      'yes',
      '--timeout-minutes',
      '0',
    ]);
    expect(error.problems).toEqual([
      '--domain-uri = "my-corpora/law/": not an S3 URI. Accepted: s3://bucket/prefix/ (ending with /)',
      '--general-uri = "s3://my-corpora/web": not a prefix (does not end with /). Accepted: s3://bucket/prefix/ (ending with /), or \'\' for no general corpus',
      '--tokenizer-uri = "s3://my-corpora/tok/vocab.json": does not end with tokenizer.json. Accepted: s3://bucket/key ending with tokenizer.json, or \'\' for the tokenizer of baseModelId from Hugging Face',
      '--format = "csv": not accepted. Accepted: jsonl | parquet',
      '--text-field = "1text": not accepted. Accepted: an identifier: letters, digits and underscores, not starting with a digit',
      '--general-share = "1": not accepted. Accepted: a number from 0 (no mixing) up to, not including, 1',
      '--held-out-share = "0": not accepted. Accepted: a number above 0 and at most 0.2',
      '--seed = "4.5": not accepted. Accepted: an integer from 0 to 2147483647',
      '--sequence-length = "8192": not accepted. Accepted: an integer from 1 to 4096 (Llama 2\'s context), divisible by tensorParallelDegree',
      '--add-eos = "yes": not accepted. Accepted: true | false (alone: true)',
      '--timeout-minutes = "0": not accepted. Accepted: a whole number of minutes, at least 1',
    ]);
  });

  test('S3 URIs: a valid bucket name, a prefix for corpora, a key for the tokenizer', async () => {
    const error = await refused([
      '--run',
      'r1',
      '--domain-uri',
      's3://My_Corpora/law/',
      '--general-uri',
      's3://my-corpora',
      '--tokenizer-uri',
      's3://my-tokenizer.json',
    ]);
    expect(error.problems.map((p) => p.split('. Accepted')[0])).toEqual([
      '--domain-uri = "s3://My_Corpora/law/": "My_Corpora" is not a valid bucket name',
      '--general-uri = "s3://my-corpora": not a prefix (does not end with /)',
      '--tokenizer-uri = "s3://my-tokenizer.json": does not end with tokenizer.json',
    ]);
  });

  test('numbers are refused in forms the job would not read: signs, exponents, blanks', async () => {
    const error = await refused(['--run', 'r1', '--general-share', '-0.1', '--seed', '1e3', '--held-out-share', '']);
    expect(error.problems.map((p) => p.split(':')[0])).toEqual([
      '--general-share = "-0.1"',
      '--seed = "1e3"',
      '--held-out-share = ""',
    ]);
  });

  test('a flag given twice, a flag without its value, a bad -c pair', async () => {
    const error = await refused(['--run', 'r1', '--seed', '1', '--seed=2', '-c', 'nodeCount', '--format']);
    expect(error.problems).toEqual([
      '--seed: given twice ("1" and "2")',
      '-c nodeCount: expects key=value',
      '--format: needs a value. Accepted: jsonl | parquet',
    ]);
  });

  test('a sequence length that tensor parallelism cannot split (tensorParallelDegree of the configuration)', async () => {
    const error = await refused(['--run', 'r1', '--sequence-length', '1000', '-c', 'tensorParallelDegree=16']);
    expect(error.problems).toEqual([
      '--sequence-length = "1000": not divisible by tensorParallelDegree 16 of the configuration (sequence parallelism splits each row over it). Accepted: an integer from 1 to 4096 (Llama 2\'s context), divisible by tensorParallelDegree',
    ]);
  });

  test('mixing without a general corpus', async () => {
    const explicit = await refused(['--run', 'r1', '--general-uri', '', '--general-share', '0.05']);
    expect(explicit.problems).toEqual([
      "--general-share = 0.05 mixes in a general corpus, but --general-uri is ''. Accepted: --general-share 0, or a --general-uri",
    ]);
    const byDefault = await refused(['--run', 'r1', '--general-uri', '']);
    expect(byDefault.problems).toEqual([
      "generalDataShare = 0.01 (the job's default) mixes in a general corpus, but --general-uri is ''. Accepted: --general-share 0, or a --general-uri",
    ]);
  });

  test('an invalid configuration from -c', async () => {
    const { deps, clients } = harness();
    await expect(tokenize(['--run', 'r1', '-c', 'projectName=Bad'], deps)).rejects.toThrow(ConfigError);
    expect(clients).not.toHaveBeenCalled();
    expectNoAwsCall();
  });

  test('--help prints the options and calls nothing', async () => {
    const { deps, lines } = harness();
    await expect(tokenize(['--help'], deps)).resolves.toBe(0);
    expect(lines[0]).toBe('Usage: npm run tokenize -- --run <name> [options]');
    expect(lines.join('\n')).toContain(
      '--general-share <value>    a number from 0 (no mixing) up to, not including, 1',
    );
    expectNoAwsCall();
  });
});

describe('parseTokenizeArgs', () => {
  test('collects -c pairs for the configuration and keeps only the overrides given', () => {
    expect(
      parseTokenizeArgs(['-c', 'region=us-east-2', '--run', 'r1', '--context', 'config=my-run.json', '--seed', '0']),
    ).toEqual({
      run: 'r1',
      overrides: { '--seed': '0' },
      timeoutMinutes: undefined,
      context: { region: 'us-east-2', config: 'my-run.json' },
      help: false,
    });
  });

  test('--add-eos alone before another flag means true', () => {
    expect(parseTokenizeArgs(['--add-eos', '--run', 'r1']).overrides).toEqual({ '--add-eos': 'true' });
  });

  test('--timeout-minutes is a whole number of minutes', () => {
    expect(parseTokenizeArgs(['--run', 'r1', '--timeout-minutes', '90']).timeoutMinutes).toBe(90);
  });
});

describe('describeFailure', () => {
  test('usage errors exit 2 and point at --help; AWS failures exit 1; neither has a stack trace', () => {
    expect(describeFailure(new UsageError('tokenize', ['--seed = "x": not accepted']))).toEqual({
      message:
        'Invalid arguments to npm run tokenize:\n  - --seed = "x": not accepted\nSee: npm run tokenize -- --help',
      exitCode: 2,
    });
    expect(describeFailure(new ConfigError(['nodeCount = 0 (from -c): too small']))).toEqual({
      message: 'Invalid trainium-cpt configuration:\n  - nodeCount = 0 (from -c): too small',
      exitCode: 2,
    });
    expect(describeFailure(new CommandError('Stack x does not exist.'))).toEqual({
      message: 'Stack x does not exist.',
      exitCode: 1,
    });
    expect(describeFailure(new Error('boom'))).toEqual({ message: 'Error: boom', exitCode: 1 });
  });
});
