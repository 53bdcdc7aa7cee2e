/**
 * Renders a run's perplexity report (the perplexity.json that the evaluate stage writes to the run's reportS3Uri)
 * as one self-contained HTML page, with the same renderer the cluster uses (cluster/training/render_report.py).
 *
 *   npm run report -- reports/pubmed-v1/perplexity.json                 # writes reports/pubmed-v1/report.html
 *   npm run report -- perplexity.json --output /tmp/pubmed-v1.html
 *   npm run report -- data/sample/evaluation/perplexity.json            # the sample report
 *
 * Runs the renderer with the project's .venv/bin/python when there is one, else python3 (standard library only).
 * Prints the path of the page.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  CommandError,
  describeFailure,
  EXIT_CODES,
  HELP_FLAGS,
  UsageError as CommandUsageError,
} from '../lib/shared/command-line';
import { runCommand } from './run-command';

const ROOT = path.resolve(__dirname, '..');
export const RENDERER = path.join(ROOT, 'cluster', 'training', 'render_report.py');

export const USAGE = [
  'Usage: npm run report -- <perplexity.json> [--output FILE]',
  '',
  'Renders the perplexity report of a training run (perplexity.json, as the evaluate stage writes it next to',
  "report.html at the run's reportS3Uri) as one self-contained HTML page: a chart per held-out set of perplexity",
  'against trained tokens, and a table of every model.',
  '',
  '  --output FILE   where to write the page (default: report.html next to the input)',
  '  --help          this text',
].join('\n');

export { describeFailure, EXIT_CODES };

/** A wrong command line: printed with a pointer to --help. */
export class UsageError extends CommandUsageError {
  constructor(message: string) {
    super(message, 'report');
  }
}

/** A report that could not be rendered: the renderer's own message, and its exit code. */
export class ReportError extends CommandError {
  constructor(message: string, exitCode: number = EXIT_CODES.failed) {
    super(message, exitCode);
    this.name = 'ReportError';
  }
}

export interface ReportArgs {
  readonly input?: string;
  readonly output?: string;
  readonly help: boolean;
}

export function parseReportArgs(argv: readonly string[]): ReportArgs {
  let input: string | undefined;
  let output: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (HELP_FLAGS.includes(arg)) {
      help = true;
    } else if (arg === '--output' || arg === '-o') {
      const value = argv[++i];
      if (value === undefined || value === '') throw new UsageError(`${arg} needs a file name`);
      output = value;
    } else if (arg.startsWith('--output=')) {
      output = arg.slice('--output='.length);
      if (!output) throw new UsageError('--output needs a file name');
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown flag ${arg}`);
    } else if (input === undefined) {
      input = arg;
    } else {
      throw new UsageError(`one report at a time: got ${input} and ${arg}`);
    }
  }
  return { input, output, help };
}

/** The Python that runs the renderer: the project's .venv when it is set up, else python3 from PATH. */
export function pythonCommand(root: string = ROOT): string {
  const venv = path.join(root, '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

/** Renders `input` into `output` (absolute paths returned); throws ReportError with the renderer's message. */
export function renderReport(input: string, output: string, python: string = pythonCommand()): string {
  const source = path.resolve(input);
  const target = path.resolve(output);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new ReportError(
      `No such file: ${input} (give the perplexity.json of a run, e.g. data/sample/evaluation/perplexity.json)`,
      EXIT_CODES.usage,
    );
  }
  if (!stat.isFile()) throw new ReportError(`Not a file: ${input}`, EXIT_CODES.usage);
  if (!fs.existsSync(path.dirname(target)))
    throw new ReportError(`No such folder for the output: ${path.dirname(target)}`, EXIT_CODES.usage);
  const result = spawnSync(python, [RENDERER, source, target], { encoding: 'utf8', timeout: 120_000 });
  if (result.error) {
    const reason = (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : result.error.message;
    throw new ReportError(`Cannot run the renderer with ${python}: ${reason} (it needs Python 3.10 or later)`);
  }
  if (result.status !== 0) {
    const message = result.stderr.trim() || `render_report.py exited with ${result.status ?? result.signal}`;
    throw new ReportError(message, result.status ?? EXIT_CODES.failed);
  }
  return target;
}

export interface ReportDeps {
  print(line: string): void;
  python?: string;
}

/** The whole command; returns its exit code. */
export function report(argv: readonly string[], deps: ReportDeps): number {
  const args = parseReportArgs(argv);
  if (args.help) {
    deps.print(USAGE);
    return EXIT_CODES.succeeded;
  }
  if (args.input === undefined) throw new UsageError('give the perplexity.json to render');
  const output = args.output ?? path.join(path.dirname(args.input), 'report.html');
  deps.print(renderReport(args.input, output, deps.python ?? pythonCommand()));
  return EXIT_CODES.succeeded;
}

if (require.main === module) {
  runCommand(async () => report(process.argv.slice(2), { print: (line) => console.log(line) }));
}
