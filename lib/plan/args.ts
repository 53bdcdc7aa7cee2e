/**
 * The command line of `npm run plan`: the training set (`--manifest FILE` or `--tokens N`, default the
 * configuration's plannedTrainTokens) and the `-c key=value` flags that select the configuration, as for cdk and
 * the other commands. Pure: the file is read by the command.
 */

import { CONTEXT_FLAGS, HELP_FLAGS, parseContextPair, splitInline } from '../shared/command-line';

/** Bad flags: one line naming the argument, the value and what is accepted. */
export class PlanUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanUsageError';
  }
}

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
  'Prints the cost and time of a training run before anything is deployed: rows, steps, hours, node-hours,',
  "on-demand cost, a day of training, the daily and run budgets, the stall alarm's threshold, what stays deployed costs",
  'per month, and every assumption with its source.',
  '',
  '  --manifest FILE   the manifest.json of a tokenization run (from S3 or .local/datasets/<run>/): its row counts',
  `  --tokens N        ${TOKENS_ACCEPTED}`,
  '                    (neither: the configuration key plannedTrainTokens)',
  '  -c key=value      a configuration key, as for cdk (region, nodeCount, measuredTokensPerSecondPerNode, config=file.json, ...)',
].join('\n');

/** 88000000000, or 88e9: digits, with an optional exponent. */
const WHOLE = /^\d+([eE]\+?\d+)?$/;

/** Reads the command line; throws a PlanUsageError at the first problem. */
export function parsePlanArgs(argv: readonly string[]): PlanCommandLine {
  const context: Record<string, string> = {};
  let manifest: string | undefined;
  let tokensText: string | undefined;
  let help = false;

  const valueOf = (flag: string, inline: string | undefined, i: number, accepted: string): [string, number] => {
    if (inline !== undefined) return [inline, i];
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith('-') && next.length > 1))
      throw new PlanUsageError(`${flag}: needs a value. Accepted: ${accepted}`);
    return [next, i + 1];
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (HELP_FLAGS.includes(arg)) {
      help = true;
      continue;
    }
    if (CONTEXT_FLAGS.includes(arg)) {
      const pair = argv[++i];
      const parsed = parseContextPair(pair);
      if (!parsed)
        throw new PlanUsageError(
          `${arg} ${JSON.stringify(pair ?? '')}: expects key=value. Accepted: a configuration key and its value, such as -c region=us-east-2`,
        );
      context[parsed[0]] = parsed[1];
      continue;
    }
    const [flag, inline] = splitInline(arg);
    if (flag === '--manifest') {
      const [value, next] = valueOf(flag, inline, i, 'the path of a manifest.json');
      if (manifest !== undefined)
        throw new PlanUsageError(
          `--manifest: given twice (${JSON.stringify(manifest)} and ${JSON.stringify(value)}). Accepted: one manifest`,
        );
      if (value === '') throw new PlanUsageError('--manifest = "": not a file. Accepted: the path of a manifest.json');
      manifest = value;
      i = next;
      continue;
    }
    if (flag === '--tokens') {
      const [value, next] = valueOf(flag, inline, i, TOKENS_ACCEPTED);
      if (tokensText !== undefined)
        throw new PlanUsageError(
          `--tokens: given twice (${JSON.stringify(tokensText)} and ${JSON.stringify(value)}). Accepted: ${TOKENS_ACCEPTED}`,
        );
      tokensText = value;
      i = next;
      continue;
    }
    throw new PlanUsageError(`${JSON.stringify(arg)}: not an option of npm run plan. Accepted: ${ACCEPTED_OPTIONS}`);
  }

  let tokens: number | undefined;
  if (tokensText !== undefined) {
    const value = Number(tokensText);
    if (!WHOLE.test(tokensText.trim()) || !Number.isSafeInteger(value) || value < 1) {
      throw new PlanUsageError(
        `--tokens = ${JSON.stringify(tokensText)}: not a positive whole number. Accepted: ${TOKENS_ACCEPTED}`,
      );
    }
    tokens = value;
  }
  if (!help && manifest !== undefined && tokens !== undefined) {
    throw new PlanUsageError(
      `--manifest ${JSON.stringify(manifest)} and --tokens ${tokensText}: give one of them, not both. Accepted: --manifest FILE or --tokens N`,
    );
  }
  return { manifest, tokens, context, help };
}
