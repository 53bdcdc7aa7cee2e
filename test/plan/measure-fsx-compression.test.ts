import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../support/app';

/** scripts/measure-fsx-compression.py on small inputs: it runs, and its figures come from what it compresses. */
const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const script = path.join(REPO_ROOT, 'scripts', 'measure-fsx-compression.py');

interface Sample {
  name: string;
  bytes: number;
  compressedBytes: Record<string, number>;
  savedShare: number;
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsx-compression-test-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function measure(args: string[]) {
  const out = path.join(dir, `out-${args.length}.json`);
  const result = spawnSync(python, [script, ...args, '--random-rows', '4', '--tensor-mib', '0.25', '--out', out], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(fs.readFileSync(out, 'utf8'));
}

test('a demo shard of one repeated token saves almost everything; uniform ids little; the plan takes the smaller', () => {
  // A demo dataset as glue/local_run.py lays it out, its shard written by the job's own writer: 64 rows of token 42.
  const demo = path.join(dir, 'demo');
  const train = path.join(demo, 'attempt-20261208T000000Z-abc123', 'train');
  fs.mkdirSync(train, { recursive: true });
  const write = spawnSync(
    python,
    [
      '-c',
      [
        'import sys, numpy as np, pyarrow as pa',
        `sys.path.insert(0, ${JSON.stringify(path.join(REPO_ROOT, 'glue', 'src'))})`,
        'from cpt_data import hf_dataset',
        'flat = pa.array(np.full(64 * 256, 42, dtype=np.int32))',
        'ids = pa.ListArray.from_arrays(pa.array(np.arange(0, 64 * 256 + 1, 256, dtype=np.int32)), flat)',
        `with pa.OSFile(${JSON.stringify(path.join(train, 'data-00000-of-00001.arrow'))}, "wb") as sink, pa.ipc.new_stream(sink, hf_dataset.SCHEMA) as w:`,
        '    w.write_batch(hf_dataset.training_batch(ids, 256))',
      ].join('\n'),
    ],
    { encoding: 'utf8' },
  );
  expect(write.stderr).toBe('');

  const record = measure(['--demo-dataset', demo]);
  const samples: Sample[] = record.datasets.samples;
  expect(samples.map((s) => s.name)).toEqual([
    'demo/attempt-20261208T000000Z-abc123/train/data-00000-of-00001.arrow',
    'sample-corpus-4096',
    'uniform-ids-4096',
  ]);
  const [shard, repacked, uniform] = samples;
  expect(shard.savedShare).toBeGreaterThan(0.9);
  expect(repacked.savedShare).toBeGreaterThan(0.9);
  // 4 rows of 4,096 uniform ids: the attention mask (1 byte in 9) compresses, the ids hardly.
  expect(uniform.bytes).toBeGreaterThan(4 * 4096 * 9);
  expect(uniform.savedShare).toBeGreaterThan(0.05);
  expect(uniform.savedShare).toBeLessThan(0.3);
  expect(record.datasets.savedShare).toBe(uniform.savedShare);
  for (const s of [...samples, ...record.tensors.samples] as Sample[]) {
    expect(Object.keys(s.compressedBytes).map(Number)).toEqual(record.blockBytes);
    expect(s.savedShare).toBeCloseTo(1 - Math.max(...Object.values(s.compressedBytes)) / s.bytes, 4);
  }
  expect(record.tensors.samples.map((s: Sample) => s.bytes)).toEqual([(0.25 * 2 ** 20) / 2, 0.25 * 2 ** 20]);
  expect(record.measuredOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(record.command).toContain('scripts/measure-fsx-compression.py --demo-dataset');
});

test('without a demo dataset it measures the uniform ids alone', () => {
  const record = measure(['--demo-dataset', path.join(dir, 'none')]);
  expect(record.datasets.samples.map((s: Sample) => s.name)).toEqual(['uniform-ids-4096']);
  expect(record.datasets.savedShare).toBe(record.datasets.samples[0].savedShare);
});
