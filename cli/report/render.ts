import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CommandError, EXIT_CODES } from '../shared/command-line';

/** The perplexity report as one HTML page, by the renderer the cluster uses (cluster/training/render_report.py). */

const ROOT = path.resolve(__dirname, '..', '..');
export const RENDERER = path.join(ROOT, 'cluster', 'training', 'render_report.py');

/** The Python that runs the renderer: the project's .venv when it is set up, else python3 from PATH. */
export function pythonCommand(root: string = ROOT): string {
  const venv = path.join(root, '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

/** Renders `input` into `output` (absolute paths returned); throws CommandError with the renderer's message. */
export function renderReport(input: string, output: string, python: string = pythonCommand()): string {
  const source = path.resolve(input);
  const target = path.resolve(output);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new CommandError(
      `No such file: ${input} (give the perplexity.json of a run, e.g. data/sample/evaluation/perplexity.json)`,
      EXIT_CODES.usage,
    );
  }
  if (!stat.isFile()) throw new CommandError(`Not a file: ${input}`, EXIT_CODES.usage);
  if (!fs.existsSync(path.dirname(target)))
    throw new CommandError(`No such folder for the output: ${path.dirname(target)}`, EXIT_CODES.usage);
  const result = spawnSync(python, [RENDERER, source, target], { encoding: 'utf8', timeout: 120_000 });
  if (result.error) {
    const reason = (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : result.error.message;
    throw new CommandError(`Cannot run the renderer with ${python}: ${reason} (it needs Python 3.10 or later)`);
  }
  if (result.status !== 0) {
    const message = result.stderr.trim() || `render_report.py exited with ${result.status ?? result.signal}`;
    throw new CommandError(message, result.status ?? EXIT_CODES.failed);
  }
  return target;
}
