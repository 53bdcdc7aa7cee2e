import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { COMMAND_PATTERN } from '../../lib/training/contract';
import { InvalidRequestError } from '../../lib/training/requests';
import { describeChain, previewChain } from '../../cli/chain-preview';
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
      sets: { train: set('train', trainRows), eval_domain: set('eval_domain', 13), eval_general: set('eval_general', 2) },
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
  const preview = previewChain({ config: defaultConfig(), manifestFile: localManifest(dir, 464), run: 'demo', overrides, python });

  expect(preview.command).toMatch(COMMAND_PATTERN);
  const sent = JSON.parse(Buffer.from(preview.command.split(' ').pop() as string, 'base64').toString('utf8'));
  expect(sent).toEqual(preview.request);
  // ceil(464 rows × 3 epochs ÷ 64) = 22 steps; the compile stage stays below checkpointEvery.
  expect(preview.request).toMatchObject({ steps: 22, globalBatch: 64, sequenceLength: 256, nodes: 16, compileSteps: 9 });
  expect(preview.request.trainPath).toBe('/fsx/datasets/demo/attempt-20261128T000000Z-abc123/train');

  expect(preview.jobs.map((j) => j.stage)).toEqual(['prepare', 'compile', 'train', 'export', 'evaluate']);
  const option = (argv: readonly string[], name: string) => argv[argv.indexOf(name) + 1];
  expect(preview.jobs.map((j) => option(j.argv, '--nodes'))).toEqual(['1', '16', '16', '1', '1']);
  preview.jobs.forEach((job, i) => {
    expect(option(job.argv, '--job-name')).toBe(`cpt-demo-${job.stage}`);
    expect(option(job.argv, '--partition')).toBe('trn');
    if (i === 0) expect(job.argv).not.toContain('--dependency');
    else expect(option(job.argv, '--dependency')).toBe(`afterok:${preview.jobs[i - 1].id}`);
    // Paths as on the cluster, none of the scratch folder's.
    expect(job.argv.slice(-2)).toEqual([`/fsx/trainium-cpt/runs/demo/scripts/stage-${job.stage}.sh`, '/fsx/trainium-cpt/runs/demo/request.json']);
  });
  expect(preview.jobs.filter((j) => j.argv.includes('--requeue')).map((j) => j.stage)).toEqual(['train']);

  const args = preview.trainArguments;
  expect(args[0]).toBe('/fsx/trainium-cpt/neuron-2.28.1/neuronx-distributed/examples/training/llama/tp_zero1_llama_hf_pretrain/tp_zero1_llama_hf_pretrain.py');
  expect(option(args, '--steps_this_run')).toBe('22');
  expect(option(args, '--seq_len')).toBe('256');
  expect(option(args, '--data_dir')).toBe(preview.request.trainPath);

  const text = describeChain(preview).join('\n');
  expect(text).toContain('464 rows × 3.03 epochs = 22 steps of 64 rows');
  expect(text).toMatch(/3\. train +16 node\(s\), after afterok:2, requeued on node failure: stage-train\.sh/);
});

test('a run the function would refuse is refused here too, before anything runs', () => {
  const manifestFile = localManifest(dir, 464);
  expect(() => previewChain({ config: defaultConfig(), manifestFile, run: 'demo', overrides: { globalBatch: 64 }, python })).toThrow(
    InvalidRequestError,
  );
  expect(() => previewChain({ config: defaultConfig(), manifestFile, run: 'demo', overrides: { globalBatch: 64 }, python })).toThrow(
    /warmupSteps = 100 \(default\): not below the run's 22 steps/,
  );
});
