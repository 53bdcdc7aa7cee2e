/**
 * The command line of `npm run plan`: the training set (`--manifest FILE` or `--tokens N`, default the
 * configuration's plannedTrainTokens) and the `-c key=value` flags that select the configuration, as for cdk and
 * the other commands. Pure: the file is read by the command.
 */

import { CONTEXT, FlagArg, HELP, parseContextPair, readArgs } from '../shared/args';
import { UsageError } from '../shared/command-line';

/** Bad flags: one line naming the argument, the value and what is accepted (the first problem only). */
const refuse = (problem: string) => UsageError.single('plan', problem);

export interface PlanCommandLine {
  readonly manifest?: string;
  readonly tokens?: number;
  /** `-c key=value` pairs, for loadProjectConfig. */
  readonly context: Readonly<Record<string, string>>;
  readonly help: boolean;
}

export const TOKENS_ACCEPTED =
  'a positive whole number of tokens (one epoch of the training set), such as 88000000000 or 88e9';
const ACCEPTED_OPTIONS = '--manifest FILE, --tokens N, -c key=value, --help';

export const USAGE = [
  'Usage: npm run plan [-- --manifest FILE | --tokens N] [-c key=value | -c config=file.json ...]',
  '',
  'Prints the cost and time of a training run before anything is deployed: rows, steps, hours, node-hours, what',
  'FSx holds and the size it takes, the checkpoint stall and the FSx throughput it takes, the cost as capacityType',
  "buys the nodes, a day of training, the daily and run budgets, the stall alarm's threshold, what stays deployed",
  'costs per month, and every assumption with its source.',
  '',
  '  --manifest FILE   the manifest.json of a tokenization run (from S3 or .local/datasets/<run>/): its row counts',
  `  --tokens N        ${TOKENS_ACCEPTED}`,
  '                    (neither: the configuration key plannedTrainTokens)',
  '  -c key=value      a configuration key, as for cdk (region, nodeCount, measuredTokensPerSecondPerNode, config=file.json, ...)',
].join('\n');

/** 88000000000, or 88e9: digits, with an optional exponent. */
const WHOLE = /^\d+([eE]\+?\d+)?$/;

/** Reads the command line; throws a UsageError at the first problem. */
export function parsePlanArgs(argv: readonly string[]): PlanCommandLine {
  const context: Record<string, string> = {};
  let manifest: string | undefined;
  let tokensText: string | undefined;
  let help = false;

  // A flag's value: the next argument, unless it is another flag.
  const valueOf = (arg: FlagArg, accepted: string): string => {
    const value = arg.value;
    if (value === undefined || (!arg.inline && value.startsWith('-') && value.length > 1))
      throw refuse(`--${arg.name}: needs a value. Accepted: ${accepted}`);
    return value;
  };

  const flags = { ...HELP, ...CONTEXT, manifest: { type: 'string' }, tokens: { type: 'string' } } as const;
  for (const arg of readArgs(argv, flags)) {
    if (arg.kind === 'other')
      throw refuse(`${JSON.stringify(arg.text)}: not an option of npm run plan. Accepted: ${ACCEPTED_OPTIONS}`);
    if (arg.name === 'help') {
      help = true;
    } else if (arg.name === 'context') {
      const parsed = parseContextPair(arg.value);
      if (!parsed)
        throw refuse(
          `${arg.as} ${JSON.stringify(arg.value ?? '')}: expects key=value. Accepted: a configuration key and its value, such as -c region=us-east-2`,
        );
      context[parsed[0]] = parsed[1];
    } else if (arg.name === 'manifest') {
      const value = valueOf(arg, 'the path of a manifest.json');
      if (manifest !== undefined)
        throw refuse(
          `--manifest: given twice (${JSON.stringify(manifest)} and ${JSON.stringify(value)}). Accepted: one manifest`,
        );
      if (value === '') throw refuse('--manifest = "": not a file. Accepted: the path of a manifest.json');
      manifest = value;
    } else {
      const value = valueOf(arg, TOKENS_ACCEPTED);
      if (tokensText !== undefined)
        throw refuse(
          `--tokens: given twice (${JSON.stringify(tokensText)} and ${JSON.stringify(value)}). Accepted: ${TOKENS_ACCEPTED}`,
        );
      tokensText = value;
    }
  }

  let tokens: number | undefined;
  if (tokensText !== undefined) {
    const value = Number(tokensText);
    if (!WHOLE.test(tokensText.trim()) || !Number.isSafeInteger(value) || value < 1) {
      throw refuse(
        `--tokens = ${JSON.stringify(tokensText)}: not a positive whole number. Accepted: ${TOKENS_ACCEPTED}`,
      );
    }
    tokens = value;
  }
  if (!help && manifest !== undefined && tokens !== undefined) {
    throw refuse(
      `--manifest ${JSON.stringify(manifest)} and --tokens ${tokensText}: give one of them, not both. Accepted: --manifest FILE or --tokens N`,
    );
  }
  return { manifest, tokens, context, help };
}
