import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { COMMAND_PATTERN, STAGES } from '../../lib/training/contract';
import { InvalidRequestError } from '../../lib/training/requests';
import { describeChain, previewChain } from '../../cli/demo/chain-preview';
import { defaultConfig } from '../support/app';

const python = path.join(__dirname, '..', '..', '.venv', 'bin', 'python');

/** A manifest as glue/local_run.py writes it: local set folders, rows of 256 tokens. */
function localManifest(dir: string, trainRows: number): string {
  const attempt = 'attempt-20261128T000000Z-abc123';
  const set = (name: string, rows: number) => ({ path: path.join(dir, 'demo', attempt, name), rows, shards: [] });
  const file = path.join(dir, 'manifest.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      run: 'demo',
      attempt,
      parameters: { sequenceLength: 256 },
      sets: {
        train: set('train', trainRows),
        eval_domain: set('eval_domain', 13),
        eval_general: set('eval_general', 2),
      },
    }),
  );
  return file;
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chain-preview-test-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const overrides = { globalBatch: 64, warmupSteps: 2, checkpointEvery: 10 };

test('the real cpt-run.sh submits five chained jobs, as the function would ask it to', () => {
  const preview = previewChain({
    config: defaultConfig(),
    manifestFile: localManifest(dir, 464),
    run: 'demo',
    overrides,
    python,
  });

  expect(preview.command).toMatch(COMMAND_PATTERN);
  const sent = JSON.parse(Buffer.from(preview.command.split(' ').pop() as string, 'base64').toString('utf8'));
  expect(sent).toEqual(preview.request);
  // ceil(464 rows × 3 epochs ÷ 64) = 22 steps; the compile stage stays below checkpointEvery.
  expect(preview.request).toMatchObject({
    steps: 22,
    globalBatch: 64,
    sequenceLength: 256,
    nodes: 16,
    compileSteps: 9,
  });
  expect(preview.request.trainPath).toBe('/fsx/datasets/demo/attempt-20261128T000000Z-abc123/train');
  // The three fields after partition, accepted by the real script; and the plan's saved steps and limits in words.
  expect(preview.request).toMatchObject({ maxTrainRestarts: 3, resume: false });
  expect(Object.keys(preview.request.timeLimits)).toEqual(['prepare', 'compile', 'train', 'export', 'evaluate']);
  expect(preview.summary.savedSteps).toEqual([10, 20, 22]);
  const described = describeChain(preview);
  expect(described).toContain('checkpoints at steps 10, 20 and 22: 3 checkpoints, all 3 kept on FSx');
  expect(described).toContainEqual(
    expect.stringMatching(
      /^time limits: prepare \d+ min, compile .*; a failed train job requeues itself up to 3 times$/,
    ),
  );

  expect(preview.jobs.map((j) => j.stage)).toEqual(['prepare', 'compile', 'train', 'export', 'evaluate']);
  const option = (argv: readonly string[], name: string) => argv[argv.indexOf(name) + 1];
  expect(preview.jobs.map((j) => option(j.argv, '--nodes'))).toEqual(['1', '16', '16', '1', '1']);
  preview.jobs.forEach((job, i) => {
    expect(option(job.argv, '--job-name')).toBe(`cpt-demo-${job.stage}`);
    expect(option(job.argv, '--partition')).toBe('trn');
    if (i === 0) expect(job.argv).not.toContain('--dependency');
    else expect(option(job.argv, '--dependency')).toBe(`afterok:${preview.jobs[i - 1].id}`);
    // Paths as on the cluster, none of the scratch folder's.
    expect(job.argv.slice(-2)).toEqual([
      `/fsx/trainium-cpt/runs/demo/scripts/stage-${job.stage}.sh`,
      '/fsx/trainium-cpt/runs/demo/request.json',
    ]);
  });
  expect(preview.jobs.filter((j) => j.argv.includes('--requeue')).map((j) => j.stage)).toEqual(['compile', 'train']);
  expect(preview.jobs.map((j) => option(j.argv, '--time'))).toEqual(
    STAGES.map((stage) => String(preview.request.timeLimits[stage])),
  );

  // The run's copy of the example, patched by the prepare stage; fused q/k/v, from the base model, the last step saved.
  const args = preview.trainArguments;
  expect(args[0]).toBe('/fsx/trainium-cpt/runs/demo/patched/tp_zero1_llama_hf_pretrain.py');
  expect(option(args, '--fuse_qkv')).toBe('1');
  expect(option(args, '--loading_step')).toBe('-1');
  expect(args).toContain('--checkpoint_at_end');
  expect(option(args, '--steps_this_run')).toBe('22');
  expect(option(args, '--seq_len')).toBe('256');
  expect(option(args, '--data_dir')).toBe(preview.request.trainPath);

  const text = describeChain(preview).join('\n');
  expect(text).toContain('464 rows × 3.03 epochs = 22 steps of 64 rows');
  expect(text).toMatch(/3\. train +16 node\(s\), after afterok:2, --time \d+, requeueable \(.*\): stage-train\.sh/);
});

test('a run the function would refuse is refused here too, before anything runs', () => {
  const manifestFile = localManifest(dir, 464);
  expect(() =>
    previewChain({ config: defaultConfig(), manifestFile, run: 'demo', overrides: { globalBatch: 64 }, python }),
  ).toThrow(InvalidRequestError);
  expect(() =>
    previewChain({ config: defaultConfig(), manifestFile, run: 'demo', overrides: { globalBatch: 64 }, python }),
  ).toThrow(/warmupSteps = 100 \(default\): not below the run's 22 steps/);
});
