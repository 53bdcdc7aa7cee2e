import * as fs from 'fs';
import * as path from 'path';
import { parsePlanArgs } from '../../cli/plan/args';
import { UsageError } from '../../cli/shared/command-line';
import { ManifestInputError, parseManifest } from '../../lib/plan/dataset';
import { estimateRun } from '../../lib/plan/estimate';
import { defaultConfig } from '../support/app';
import { thrownBy } from '../support/errors';

/** A manifest written by glue/local_run.py on the sample corpus (npm run demo), paths shortened. */
const DEMO_MANIFEST = fs.readFileSync(path.join(__dirname, 'fixtures', 'demo-manifest.json'), 'utf8');

/** The demo manifest, changed by `edit`, as text. */
function edited(edit: (manifest: any) => unknown): string {
  const manifest = JSON.parse(DEMO_MANIFEST);
  edit(manifest);
  return JSON.stringify(manifest);
}

const usageError = (argv: string[]): string => thrownBy(() => parsePlanArgs(argv), UsageError).message;

describe('parseManifest', () => {
  test("reads the job's manifest: the training rows, the held-out rows, the row length, the tokens of every corpus", () => {
    expect(parseManifest(DEMO_MANIFEST, 'demo-manifest.json')).toEqual({
      run: 'demo',
      sequenceLength: 256,
      trainRows: 464,
      evalRows: 13 + 2,
      // domain train 113,175 + eval 3,549; general train 7,787 + eval 965.
      corpusTokens: 113_175 + 3_549 + 7_787 + 965,
    });
  });

  test('plans the demo run the way the submit function would count its steps', () => {
    const counts = parseManifest(DEMO_MANIFEST, 'demo-manifest.json');
    const e = estimateRun(defaultConfig({ sequenceLength: 256, nodeCount: 1, globalBatchSize: 64 }), {
      manifest: counts,
    });
    // 1 node × 32 ÷ TP 8 = 4 replicas; ceil(464 × 3 ÷ 64) = ceil(21.75) = 22 steps.
    expect(e.parallel.dataParallel).toBe(4);
    expect(e.steps.total).toBe(22);
    expect(e.data.trainTokens).toBe(464 * 256);
  });

  test.each([
    [
      'not JSON',
      '{"run": ',
      /^--manifest m\.json: not valid JSON \(.+\)\. Accepted: the manifest\.json of a tokenization run/,
    ],
    [
      'no sets',
      edited((m) => delete m.sets),
      /^--manifest m\.json: not a tokenization manifest \(sets: .+\)\. Accepted:/,
    ],
    [
      'a negative row count',
      edited((m) => (m.sets.train.rows = -1)),
      /^--manifest m\.json: not a tokenization manifest \(sets\.train\.rows: .+\)/,
    ],
    ['no attempt', edited((m) => delete m.attempt), /^--manifest m\.json: not a tokenization manifest \(attempt: .+\)/],
    ['no training row', edited((m) => (m.sets.train.rows = 0)), /sets\.train\.rows = 0, no training row to plan for/],
    ['an array', '[]', /not a tokenization manifest \(\(top level\): /],
  ])('refuses %s in one line', (_what, text, expected) => {
    let message = '';
    try {
      parseManifest(text, 'm.json');
    } catch (error) {
      expect(error).toBeInstanceOf(ManifestInputError);
      message = (error as Error).message;
    }
    expect(message).toMatch(expected);
    expect(message).not.toContain('\n');
  });
});

describe('parsePlanArgs', () => {
  test('no argument: the configuration decides', () => {
    expect(parsePlanArgs([])).toEqual({ manifest: undefined, tokens: undefined, context: {}, help: false });
  });

  test('--tokens as digits or with an exponent, --manifest, and -c pairs as for cdk', () => {
    expect(parsePlanArgs(['--tokens', '20000000000', '-c', 'region=us-east-2', '-c', 'config=run.json'])).toEqual({
      manifest: undefined,
      tokens: 20e9,
      context: { region: 'us-east-2', config: 'run.json' },
      help: false,
    });
    expect(parsePlanArgs(['--tokens=88e9']).tokens).toBe(88e9);
    expect(parsePlanArgs(['--manifest', 'a/manifest.json', '--context', 'sshKeyName=']).manifest).toBe(
      'a/manifest.json',
    );
    expect(parsePlanArgs(['--manifest=b.json']).manifest).toBe('b.json');
    expect(parsePlanArgs(['-h']).help).toBe(true);
  });

  test.each([
    [
      ['--tokens', 'abc'],
      '--tokens = "abc": not a positive whole number. Accepted: a positive whole number of tokens (one epoch of the training set), such as 88000000000 or 88e9',
    ],
    [
      ['--tokens', '0'],
      '--tokens = "0": not a positive whole number. Accepted: a positive whole number of tokens (one epoch of the training set), such as 88000000000 or 88e9',
    ],
    [
      ['--tokens', '1.5e9'],
      '--tokens = "1.5e9": not a positive whole number. Accepted: a positive whole number of tokens (one epoch of the training set), such as 88000000000 or 88e9',
    ],
    [
      ['--tokens', '-5'],
      '--tokens: needs a value. Accepted: a positive whole number of tokens (one epoch of the training set), such as 88000000000 or 88e9',
    ],
    [
      ['--tokens', '1e30'],
      '--tokens = "1e30": not a positive whole number. Accepted: a positive whole number of tokens (one epoch of the training set), such as 88000000000 or 88e9',
    ],
    [
      ['--tokens'],
      '--tokens: needs a value. Accepted: a positive whole number of tokens (one epoch of the training set), such as 88000000000 or 88e9',
    ],
    [['--manifest'], '--manifest: needs a value. Accepted: the path of a manifest.json'],
    [['--manifest='], '--manifest = "": not a file. Accepted: the path of a manifest.json'],
    [
      ['--nodes', '4'],
      '"--nodes": not an option of npm run plan. Accepted: --manifest FILE, --tokens N, -c key=value, --help',
    ],
    [['extra'], '"extra": not an option of npm run plan. Accepted: --manifest FILE, --tokens N, -c key=value, --help'],
    [
      ['-c', 'region'],
      '-c "region": expects key=value. Accepted: a configuration key and its value, such as -c region=us-east-2',
    ],
    [['-c'], '-c "": expects key=value. Accepted: a configuration key and its value, such as -c region=us-east-2'],
    [
      ['--tokens', '5', '--tokens', '6'],
      '--tokens: given twice ("5" and "6"). Accepted: a positive whole number of tokens (one epoch of the training set), such as 88000000000 or 88e9',
    ],
    [
      ['--manifest', 'm.json', '--tokens', '88e9'],
      '--manifest "m.json" and --tokens 88e9: give one of them, not both. Accepted: --manifest FILE or --tokens N',
    ],
  ])('%j is refused in one line naming the argument, the value and what is accepted', (argv, message) => {
    expect(usageError(argv)).toBe(message);
  });
});
