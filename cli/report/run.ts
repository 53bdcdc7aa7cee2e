import * as path from 'path';
import { EXIT_CODES, UsageError } from '../shared/command-line';
import { parseReportArgs, USAGE } from './args';
import { pythonCommand, renderReport } from './render';

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
  if (args.input === undefined) throw UsageError.single('report', 'give the perplexity.json to render');
  const output = args.output ?? path.join(path.dirname(args.input), 'report.html');
  deps.print(renderReport(args.input, output, deps.python ?? pythonCommand()));
  return EXIT_CODES.succeeded;
}
