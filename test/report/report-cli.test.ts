/**
 * `npm run report`: the command line, the default output next to the input, and clear errors (missing file, unknown
 * flag, a malformed report named by its field, no Python). The page itself: cluster/training/tests/test_render_report.py
 * and, in a browser, report-render.test.ts.
 */
import { runCli } from '../support/cli';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseReportArgs } from '../../cli/report/args';
import { report } from '../../cli/report/run';
import { CommandError, describeFailure } from '../../cli/shared/command-line';

const ROOT = path.join(__dirname, '..', '..');
const SAMPLE = path.join(ROOT, 'data', 'sample', 'evaluation', 'perplexity.json');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-cli-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function run(argv: string[], python?: string): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = report(argv, { print: (line) => lines.push(line), python });
  return { code, lines };
}

function failure(argv: string[], python?: string): { message: string; exitCode: number } {
  try {
    run(argv, python);
  } catch (error) {
    return describeFailure(error);
  }
  throw new Error(`expected ${argv.join(' ')} to fail`);
}

describe('arguments', () => {
  test('the input, and --output in both spellings', () => {
    expect(parseReportArgs(['p.json'])).toEqual({ input: 'p.json', output: undefined, help: false });
    expect(parseReportArgs(['p.json', '--output', 'o.html'])).toEqual({
      input: 'p.json',
      output: 'o.html',
      help: false,
    });
    expect(parseReportArgs(['--output=o.html', 'p.json'])).toEqual({ input: 'p.json', output: 'o.html', help: false });
    expect(parseReportArgs(['--help']).help).toBe(true);
  });

  test.each([
    [['p.json', '--bogus'], 'unknown flag --bogus'],
    [['p.json', '--output'], '--output needs a file name'],
    [['p.json', '--output='], '--output needs a file name'],
    [['a.json', 'b.json'], 'one report at a time: got a.json and b.json'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseReportArgs(argv)).toThrow(new Error(message));
    expect(failure(argv)).toEqual({ message: `${message}\nSee: npm run report -- --help`, exitCode: 2 });
  });

  test('no input is a usage error', () => {
    expect(failure([])).toEqual({
      message: 'give the perplexity.json to render\nSee: npm run report -- --help',
      exitCode: 2,
    });
  });

  test('--help prints the usage', () => {
    const { code, lines } = run(['--help']);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^Usage: npm run report -- <perplexity.json> \[--output FILE\]/);
  });
});

describe('rendering', () => {
  test('writes report.html next to the input by default and prints its path', () => {
    const input = path.join(dir, 'perplexity.json');
    fs.copyFileSync(SAMPLE, input);
    const { code, lines } = run([input]);
    expect(code).toBe(0);
    expect(lines).toEqual([path.join(dir, 'report.html')]);
    const page = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(page).toContain('<h1>Perplexity report: pubmed-v1</h1>');
    expect(page.match(/<svg class="chart"/g)).toHaveLength(2);
  });

  test('--output chooses the file', () => {
    const output = path.join(dir, 'pubmed-v1.html');
    expect(run([SAMPLE, '--output', output])).toEqual({ code: 0, lines: [output] });
    expect(fs.existsSync(output)).toBe(true);
  });

  test('a missing input file', () => {
    const missing = path.join(dir, 'nope.json');
    const { message, exitCode } = failure([missing]);
    expect(exitCode).toBe(2);
    expect(message).toBe(
      `No such file: ${missing} (give the perplexity.json of a run, e.g. data/sample/evaluation/perplexity.json)`,
    );
  });

  test('a folder that does not exist for the output', () => {
    const { message, exitCode } = failure([SAMPLE, '--output', path.join(dir, 'no', 'such', 'r.html')]);
    expect(exitCode).toBe(2);
    expect(message).toBe(`No such folder for the output: ${path.join(dir, 'no', 'such')}`);
  });

  test("a malformed report: the renderer's message, naming the field, and its exit code 2", () => {
    const report = JSON.parse(fs.readFileSync(SAMPLE, 'utf8'));
    report.models[2].sets.domain.perplexity = 'n/a';
    const input = path.join(dir, 'perplexity.json');
    fs.writeFileSync(input, JSON.stringify(report));
    const { message, exitCode } = failure([input]);
    expect(exitCode).toBe(2);
    expect(message).toBe(
      `render_report: ${input}: models[2] (step_5000).sets.domain.perplexity: must be a positive number (got "n/a")`,
    );
    expect(fs.existsSync(path.join(dir, 'report.html'))).toBe(false);
  });

  test('no Python to run the renderer', () => {
    const { message, exitCode } = failure([SAMPLE, '--output', path.join(dir, 'r.html')], path.join(dir, 'no-python'));
    expect(exitCode).toBe(1);
    expect(message).toBe(
      `Cannot run the renderer with ${path.join(dir, 'no-python')}: not found (it needs Python 3.10 or later)`,
    );
  });

  test('the errors are CommandErrors, not crashes', () => {
    expect(describeFailure(new CommandError('x', 2))).toEqual({ message: 'x', exitCode: 2 });
    expect(describeFailure(new Error('boom'))).toEqual({ message: 'Error: boom', exitCode: 1 });
  });
});

test('npm run report runs cli/report/main.ts end to end: stdout the path, stderr one line on failure', () => {
  const output = path.join(dir, 'r.html');
  expect(runCli('cli/report/main.ts', [SAMPLE, '--output', output])).toEqual({
    status: 0,
    stdout: `${output}\n`,
    stderr: '',
  });
  expect(runCli('cli/report/main.ts', [SAMPLE, '--out', output])).toEqual({
    status: 2,
    stdout: '',
    stderr: 'unknown flag --out\nSee: npm run report -- --help\n',
  });
});
