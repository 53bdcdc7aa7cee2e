import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { createHandler } from '../../lambda/submit';
import { describeFailure, EXIT_CODES } from '../../cli/shared/command-line';
import { trainingCommand } from '../../cli/training/run';
import { CHECKPOINT_COUNT_FACTOR } from '../../lib/training/bounds';
import { checkManifest } from '../../lib/training/manifest';
import { planRun, resolveSettings, trainingDefaults } from '../../lib/training/plan';
import { InvalidRequestError, Overrides } from '../../lib/training/requests';
import { thrownBy } from '../support/errors';
import { mockTrainingCliClients, trainingCliDeps } from './cli-harness';
import {
  CHECKPOINTS,
  COMMAND_ID,
  configWith,
  DATASETS,
  fakeClock,
  invocation,
  manifest,
  mockFunctionClients,
  objectBody,
  SECRET_ARN,
  submitLine,
} from './support';

/**
 * The upper bounds of the overrides, each from the deployed configuration (lib/training/bounds.ts): just under the
 * bound, at it, and just above. The configuration is cdk.json's: 3 epochs, a global batch of 2,048, a checkpoint
 * every 500 steps, 3 kept.
 */

const DEFAULTS = trainingDefaults(configWith());
const LOCATIONS = { datasetsBucket: DATASETS, checkpointsBucket: CHECKPOINTS, hfTokenSecretArn: SECRET_ARN };

function plan(rows: number, overrides: Overrides) {
  const facts = checkManifest(JSON.stringify(manifest('r1', { trainRows: rows })), {
    run: 'r1',
    datasetsBucket: DATASETS,
    sequenceLength: 4096,
  });
  return planRun({ run: 'r1', manifest: facts, defaults: DEFAULTS, overrides, locations: LOCATIONS });
}

const problemsOf = (fn: () => unknown): readonly string[] => thrownBy(fn, InvalidRequestError).problems;

test('the configuration the bounds below are worked out from', () => {
  expect(DEFAULTS).toMatchObject({ epochs: 3, globalBatch: 2048, checkpointEvery: 500, checkpointsKept: 3 });
  expect(CHECKPOINT_COUNT_FACTOR).toBe(2);
});

describe('bounds that need only the configuration (the CLI checks them too)', () => {
  test.each([2.999, 3])('epochs %d: at most the configured 3', (epochs) => {
    expect(resolveSettings(DEFAULTS, { epochs }).epochs).toBe(epochs);
  });

  test('epochs 3.001: refused, naming the configuration key and how to train longer', () => {
    expect(problemsOf(() => resolveSettings(DEFAULTS, { epochs: 3.001 }))).toEqual([
      'epochs = 3.001 (override): more than the 3 of the deployed configuration (epochs), the run its budgets, time limits and FSx were sized for. ' +
        'Accepted: a number above 0 and at most 3; to train longer, raise epochs in the configuration and deploy',
    ]);
  });

  // Multiples of the data-parallel split (64 replicas × micro-batch 1).
  test.each([1984, 2048])('globalBatch %d: at most the configured 2,048', (globalBatch) => {
    expect(resolveSettings(DEFAULTS, { globalBatch }).globalBatch).toBe(globalBatch);
  });

  test('globalBatch 2112: refused, naming globalBatchSize', () => {
    expect(problemsOf(() => resolveSettings(DEFAULTS, { globalBatch: 2112 }))).toEqual([
      "globalBatch = 2112 (override): more than the 2048 rows a step of the deployed configuration (globalBatchSize), the step its run's length is counted in. " +
        'Accepted: a multiple of the data-parallel degree × microBatch, at most 2048; for a larger batch, raise globalBatchSize in the configuration and deploy',
    ]);
  });

  test.each([2, 3])('checkpointsKept %d: at most the configured 3', (checkpointsKept) => {
    expect(resolveSettings(DEFAULTS, { checkpointsKept }).checkpointsKept).toBe(checkpointsKept);
  });

  test('checkpointsKept 4: refused, naming checkpointsKept and FSx', () => {
    expect(problemsOf(() => resolveSettings(DEFAULTS, { checkpointsKept: 4 }))).toEqual([
      'checkpointsKept = 4 (override): more than the 3 of the deployed configuration (checkpointsKept), the checkpoints FSx is sized to hold. ' +
        'Accepted: an integer from 1 to 3; to keep more, raise checkpointsKept in the configuration (the plan sizes FSx for it) and deploy',
    ]);
  });

  test('the bounds follow the deployed configuration', () => {
    const larger = trainingDefaults(configWith({ epochs: 5, checkpointsKept: 6 }));
    expect(resolveSettings(larger, { epochs: 5, checkpointsKept: 6 })).toMatchObject({ epochs: 5, checkpointsKept: 6 });
    expect(problemsOf(() => resolveSettings(larger, { epochs: 5.5, checkpointsKept: 7 }))).toEqual([
      expect.stringMatching(/^epochs = 5\.5 \(override\): more than the 5 of the deployed configuration \(epochs\)/),
      expect.stringMatching(/^checkpointsKept = 7 \(override\): more than the 6 of the deployed configuration/),
    ]);
  });
});

describe('bounds that need the training set (the function checks them, with the manifest)', () => {
  // 3 epochs of 100,000 rows at 2,048 a step: ceil(146.48) = 147 steps.
  test.each([146, 147])('steps %d: at most the 147 of the configured epochs', (steps) => {
    expect(plan(100_000, { steps, warmupSteps: 1 }).request.steps).toBe(steps);
  });

  test('steps 148: refused, naming epochs, the rows and the global batch', () => {
    expect(problemsOf(() => plan(100_000, { steps: 148, warmupSteps: 1 }))).toEqual([
      "steps = 148 (override): more than the 147 steps of the configured run, the deployed configuration's 3 epochs (epochs) over the 100000 training rows at a global batch of 2048. " +
        'Accepted: an integer from 1 to 147; to train longer, raise epochs in the configuration and deploy',
    ]);
  });

  test('a smaller global batch takes more, shorter steps over the same rows: ceil(300,000 ÷ 512) = 586', () => {
    expect(plan(100_000, { globalBatch: 512, steps: 586, warmupSteps: 1 }).request.steps).toBe(586);
    expect(problemsOf(() => plan(100_000, { globalBatch: 512, steps: 587, warmupSteps: 1 }))).toEqual([
      expect.stringMatching(
        /^steps = 587 \(override\): more than the 586 steps of the configured run, .* at a global batch of 512\. Accepted: an integer from 1 to 586;/,
      ),
    ]);
  });

  // The configured run of 147 steps saves 1 checkpoint: a run may save max(2 × 1, checkpointsKept 3) = 3, so
  // checkpointEvery ≥ ceil(147 ÷ 3) = 49.
  test.each([
    [49, 3],
    [50, 3],
  ])('checkpointEvery %d over 147 steps: %d checkpoints, the most a run may save here', (checkpointEvery, saved) => {
    expect(plan(100_000, { checkpointEvery }).summary.savedSteps).toHaveLength(saved);
  });

  test('checkpointEvery 48 over 147 steps: 4 checkpoints, refused with the least interval accepted', () => {
    expect(problemsOf(() => plan(100_000, { checkpointEvery: 48 }))).toEqual([
      "checkpointEvery = 48 (override): the run's 147 steps would save 4 checkpoints, more than the 3 a run may save " +
        '(2 × the 1 of the configured run, checkpointEverySteps 500 over its 147 steps, and at least checkpointsKept 3): ' +
        'each save stalls training and adds a whole checkpoint to S3. ' +
        'Accepted: an integer of at least 49; for more checkpoints, lower checkpointEverySteps in the configuration and deploy',
    ]);
  });

  // 3 epochs of 10,000,000 rows: 14,649 steps and 30 checkpoints configured, so at most 60: every ≥ ceil(14,649 ÷ 60).
  test('at scale the bound is twice the configured run’s checkpoints', () => {
    expect(plan(10_000_000, { checkpointEvery: 245 }).summary.savedSteps).toHaveLength(60);
    expect(problemsOf(() => plan(10_000_000, { checkpointEvery: 244 }))).toEqual([
      expect.stringMatching(
        /^checkpointEvery = 244 \(override\): the run's 14649 steps would save 61 checkpoints, more than the 60 a run may save \(2 × the 30 of the configured run, .*Accepted: an integer of at least 245;/,
      ),
    ]);
  });

  test('a smaller global batch with the configured checkpointEvery: refused as the default, saying why the steps are more', () => {
    // ceil(30,000,000 ÷ 512) = 58,594 steps: 118 checkpoints every 500; 977 steps apart makes 60.
    expect(problemsOf(() => plan(10_000_000, { globalBatch: 512 }))).toEqual([
      expect.stringMatching(
        /^checkpointEvery = 500 \(default\): the run's 58594 steps \(its global batch of 512, below the configured 2048, makes more, shorter steps\) would save 118 checkpoints, .*Accepted: an integer of at least 977;/,
      ),
    ]);
    expect(plan(10_000_000, { globalBatch: 512, checkpointEvery: 977 }).summary.savedSteps).toHaveLength(60);
  });
});

describe('the training function refuses a bound exceeded before anything reaches the head node', () => {
  const { ssm, s3 } = mockFunctionClients();

  test('steps above the configured run: the manifest is read, no command is sent', async () => {
    s3.on(GetObjectCommand).resolves(objectBody(JSON.stringify(manifest('r1'))));
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND_ID } });
    ssm.on(GetCommandInvocationCommand).resolves(invocation(submitLine()));
    const handler = createHandler(fakeClock().clock);
    await expect(handler({ action: 'submit', run: 'r1', overrides: { steps: 148, warmupSteps: 1 } })).rejects.toThrow(
      /steps = 148 \(override\): more than the 147 steps of the configured run/,
    );
    expect(ssm.calls()).toHaveLength(0);
    // At the bound, the same call is sent.
    await handler({ action: 'submit', run: 'r1', overrides: { steps: 147, warmupSteps: 1 } });
    expect(ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
  });

  test('a bound of the configuration alone costs no AWS call at all', async () => {
    const handler = createHandler(fakeClock().clock);
    await expect(handler({ action: 'submit', run: 'r1', overrides: { checkpointsKept: 4 } })).rejects.toMatchObject({
      name: 'InvalidRequest',
    });
    expect(s3.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });
});

describe('npm run submit checks the configuration’s bounds before it invokes anything', () => {
  const { lambda, cloudFormation } = mockTrainingCliClients('trainium-cpt-training-TrainingFunction-AbCdEf');

  test('in the words of the flags, every bound at once', async () => {
    const { deps } = trainingCliDeps();
    const failure = await trainingCommand(
      ['submit', '--run', 'r1', '--epochs', '4', '--global-batch', '4096', '--checkpoints-kept', '4'],
      deps,
    ).catch((error: unknown) => describeFailure(error));
    expect(failure).toMatchObject({ exitCode: EXIT_CODES.usage });
    const lines = (failure as { message: string }).message.split('\n');
    expect(lines).toEqual([
      'Invalid arguments to npm run submit:',
      expect.stringMatching(/^ {2}- --epochs = 4: more than the 3 of the deployed configuration \(epochs\)/),
      expect.stringMatching(
        /^ {2}- --global-batch = 4096: more than the 2048 rows a step of the deployed configuration \(globalBatchSize\)/,
      ),
      expect.stringMatching(
        /^ {2}- --checkpoints-kept = 4: more than the 3 of the deployed configuration \(checkpointsKept\)/,
      ),
      'See: npm run submit -- --help',
    ]);
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(lambda).not.toHaveReceivedCommand(InvokeCommand);
  });
});
