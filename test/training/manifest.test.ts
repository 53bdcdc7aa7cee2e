import { checkManifest, datasetPathOnCluster, ManifestError, manifestKey } from '../../lib/training/manifest';
import { ATTEMPT, DATASETS, manifest, setUri } from './support';
import { thrownBy } from '../support/errors';

const EXPECTED = { run: 'r1', datasetsBucket: DATASETS, sequenceLength: 4096 };
const URI = `s3://${DATASETS}/datasets/r1/manifest.json`;

function problemsOf(text: string, expected = EXPECTED): readonly string[] {
  const error = thrownBy(() => checkManifest(text, expected), ManifestError);
  expect(error.uri).toBe(URI);
  expect(error.message.startsWith(`The manifest ${URI} cannot be trained from:\n`)).toBe(true);
  return error.problems;
}

const edited = (edit: (m: ReturnType<typeof manifest>) => void) => {
  const m = manifest('r1');
  edit(m);
  return JSON.stringify(m);
};

test("a run's manifest is datasets/<run>/manifest.json in the datasets bucket", () => {
  expect(manifestKey('pubmed-v1')).toBe('datasets/pubmed-v1/manifest.json');
});

test("reads the sets' paths and rows, the attempt and the sequence length", () => {
  expect(checkManifest(JSON.stringify(manifest('r1')), EXPECTED)).toEqual({
    attempt: ATTEMPT,
    sequenceLength: 4096,
    train: { path: setUri('r1', 'train'), rows: 100_000 },
    evalDomain: { path: setUri('r1', 'eval_domain'), rows: 120 },
    evalGeneral: { path: setUri('r1', 'eval_general'), rows: 30 },
  });
});

test('no general held-out rows: no general evaluation set', () => {
  expect(checkManifest(JSON.stringify(manifest('r1', { generalRows: 0 })), EXPECTED).evalGeneral).toBeUndefined();
});

test('a training set without rows, or no held-out domain rows to evaluate on, is refused', () => {
  expect(problemsOf(JSON.stringify(manifest('r1', { trainRows: 0 })))).toEqual([
    'sets.train.rows = 0: no training row',
  ]);
  expect(problemsOf(JSON.stringify(manifest('r1', { domainRows: 0 })))).toEqual([
    'sets.eval_domain.rows = 0: no held-out domain row to evaluate on; tokenize with a larger heldOutShare',
  ]);
});

test("a sequence length other than the configuration's is refused, with both values and what to do", () => {
  expect(problemsOf(JSON.stringify(manifest('r1', { sequenceLength: 2048 })))).toEqual([
    "parameters.sequenceLength = 2048: the configuration's sequenceLength is 4096; tokenize the run again with that length, or deploy with the same sequenceLength",
  ]);
});

test('the manifest of another run is refused', () => {
  expect(problemsOf(JSON.stringify(manifest('r2')))).toContain('run = "r2": the manifest of another run');
});

test('not JSON, or not a manifest of the tokenization job', () => {
  expect(problemsOf('{"run": ')[0]).toMatch(/^not valid JSON \(/);
  expect(problemsOf('[]')[0]).toMatch(/not a manifest of the tokenization job\?/);
  expect(problemsOf(edited((m) => delete (m.sets as Partial<typeof m.sets>).train))[0]).toMatch(/^sets\.train: /);
  expect(problemsOf(edited((m) => ((m.sets.train as { rows: unknown }).rows = '100')))[0]).toMatch(
    /^sets\.train\.rows: /,
  );
  expect(problemsOf(edited((m) => ((m.sets.train as { rows: unknown }).rows = -1)))[0]).toMatch(/^sets\.train\.rows: /);
});

describe('set paths must be the sets of this run’s attempt, in the datasets bucket', () => {
  test.each([
    ['another bucket', 's3://someone-else/datasets/r1/ATTEMPT/train'],
    ['another run', `s3://${DATASETS}/datasets/r2/ATTEMPT/train`],
    ['a parent folder', `s3://${DATASETS}/datasets/r1/ATTEMPT/../../r2/ATTEMPT/train`],
    ['a shell command', `s3://${DATASETS}/datasets/r1/ATTEMPT/train; reboot`],
    ['a substitution', `s3://${DATASETS}/datasets/r1/ATTEMPT/$(id)`],
    ['a local path', '/etc/passwd'],
  ])('%s is refused', (_name, path) => {
    const text = edited((m) => (m.sets.train.path = path.replace(/ATTEMPT/g, ATTEMPT)));
    expect(problemsOf(text)).toEqual([
      `sets.train.path = ${JSON.stringify(path.replace(/ATTEMPT/g, ATTEMPT))}: not ${setUri('r1', 'train')}, the set of this run's attempt`,
    ]);
  });

  test('an attempt name with anything but letters, digits and hyphens is refused', () => {
    for (const attempt of ['attempt-x;id', 'attempt-$(id)', '../attempt-1', 'attempt-a b']) {
      expect(problemsOf(edited((m) => (m.attempt = attempt)))[0]).toMatch(/^attempt: /);
    }
  });

  test('every problem at once', () => {
    const text = edited((m) => {
      m.run = 'other';
      m.parameters.sequenceLength = 1024;
      m.sets.eval_domain.path = 's3://x/y';
    });
    expect(problemsOf(text)).toHaveLength(3);
  });
});

test('S3 objects of datasets/ are read on the cluster under /fsx/datasets/', () => {
  expect(datasetPathOnCluster(setUri('r1', 'train'), DATASETS)).toBe(`/fsx/datasets/r1/${ATTEMPT}/train`);
  expect(() => datasetPathOnCluster('s3://other/datasets/r1/x', DATASETS)).toThrow(
    `s3://other/datasets/r1/x is not under s3://${DATASETS}/datasets/`,
  );
});
