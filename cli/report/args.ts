import { HELP, readArgs } from '../shared/args';
import { UsageError } from '../shared/command-line';

/** The command line of `npm run report`: one perplexity.json, where to write the page, --help. */

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

/** A wrong command line, the first problem only. */
const refuse = (problem: string) => UsageError.single('report', problem);

export interface ReportArgs {
  readonly input?: string;
  readonly output?: string;
  readonly help: boolean;
}

export function parseReportArgs(argv: readonly string[]): ReportArgs {
  let input: string | undefined;
  let output: string | undefined;
  let help = false;
  for (const arg of readArgs(argv, { ...HELP, output: { type: 'string', short: 'o' } })) {
    if (arg.kind === 'flag' && arg.name === 'help') {
      help = true;
    } else if (arg.kind === 'flag') {
      if (!arg.value) throw refuse(`${arg.as} needs a file name`);
      output = arg.value;
    } else if (!arg.positional) {
      throw refuse(`unknown flag ${arg.text}`);
    } else if (input === undefined) {
      input = arg.text;
    } else {
      throw refuse(`one report at a time: got ${input} and ${arg.text}`);
    }
  }
  return { input, output, help };
}
