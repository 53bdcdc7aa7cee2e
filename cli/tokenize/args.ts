import { z } from 'zod';
import { FIELDS } from '../../lib/config/fields';
import { CptConfig } from '../../lib/config/schema';
import { validateRunName } from '../../lib/data/job-arguments';
import { splitsSequence } from '../../lib/run/rules';
import { collectArgs, Flags } from '../shared/args';
import { UsageError } from '../shared/command-line';

/**
 * The command line of `npm run tokenize`: `--run <name>`, per-run overrides of the job's arguments, how long to follow,
 * and the `-c key=value` flags that select the configuration (as for cdk and the demo). Every value is checked here,
 * before anything reaches AWS, and every problem is reported at once.
 */

export interface TokenizeRequest {
  readonly run: string;
  /** Job arguments this run overrides, exactly as given; every other argument keeps the job's default. */
  readonly overrides: Readonly<Record<string, string>>;
  /** Stop following (not the run) after this long; undefined follows to the end. */
  readonly timeoutMinutes?: number;
  /** `-c key=value` pairs, for loadConfig. */
  readonly context: Readonly<Record<string, string>>;
  readonly help: boolean;
}

interface Override {
  /** What is accepted, in words, for errors and --help. */
  readonly accepted: string;
  /** Why the value is refused, or undefined when it is accepted. */
  readonly check: (value: string) => string | undefined;
}

const S3_URI = /^s3:\/\/([^/]*)(\/.*)?$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** An S3 URI; `emptyMeans` says what '' stands for where it is allowed. */
function s3Uri(kind: 'prefix' | 'tokenizer', emptyMeans?: string): Override {
  const what = kind === 'prefix' ? 's3://bucket/prefix/ (ending with /)' : 's3://bucket/key ending with tokenizer.json';
  return {
    accepted: emptyMeans ? `${what}, or '' ${emptyMeans}` : what,
    check: (value) => {
      if (value === '' && emptyMeans) return undefined;
      const match = S3_URI.exec(value);
      if (!match) return 'not an S3 URI';
      if (!BUCKET_NAME.test(match[1])) return `${JSON.stringify(match[1])} is not a valid bucket name`;
      if (kind === 'prefix' && !value.endsWith('/')) return 'not a prefix (does not end with /)';
      if (kind === 'tokenizer' && !(match[2] ?? '').endsWith('tokenizer.json'))
        return 'does not end with tokenizer.json';
      return undefined;
    },
  };
}

const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;
const INTEGER = /^\d+$/;

/** A flag that stands for a configuration key: same rule, same words as the configuration. */
function fromField(
  field: { schema: z.ZodType; accepted: string },
  syntax?: RegExp,
  parse: (v: string) => unknown = String,
): Override {
  return {
    accepted: field.accepted,
    check: (value) =>
      (syntax?.test(value) ?? true) && field.schema.safeParse(parse(value)).success ? undefined : 'not accepted',
  };
}

/** The per-run job arguments a run may override, with their rules. */
export const OVERRIDES: Readonly<Record<string, Override>> = {
  '--domain-uri': s3Uri('prefix'),
  '--general-uri': s3Uri('prefix', 'for no general corpus'),
  '--format': fromField(FIELDS.corpusFormat),
  '--text-field': fromField(FIELDS.textField),
  '--tokenizer-uri': s3Uri('tokenizer', 'for the tokenizer of baseModelId from Hugging Face'),
  '--general-share': fromField(FIELDS.generalDataShare, DECIMAL, Number),
  '--held-out-share': fromField(FIELDS.heldOutShare, DECIMAL, Number),
  '--seed': fromField(FIELDS.shuffleSeed, INTEGER, Number),
  '--sequence-length': fromField(FIELDS.sequenceLength, INTEGER, Number),
  '--add-eos': {
    ...fromField(FIELDS.addEos, /^(true|false)$/, (v) => v === 'true'),
    accepted: 'true | false (alone: true)',
  },
};

const TIMEOUT_FLAG = '--timeout-minutes';
const ACCEPTED_FLAGS = ['--run', ...Object.keys(OVERRIDES), TIMEOUT_FLAG, '-c key=value', '--help'];

const USAGE_ROWS: [string, string][] = [
  [
    '--run <name>',
    'the run: it writes datasets/<name>/ in the datasets bucket. 1 to 63 lowercase letters, digits, hyphens',
  ],
  ...Object.entries(OVERRIDES).map(([flag, o]): [string, string] => [`${flag} <value>`, o.accepted]),
  [`${TIMEOUT_FLAG} <n>`, 'stop following after n minutes (the run goes on); default: follow it to the end'],
  ['-c key=value', 'a configuration key, as for cdk (projectName, region, config=file.json, ...)'],
];
const USAGE_WIDTH = Math.max(...USAGE_ROWS.map(([flag]) => flag.length)) + 2;

export const USAGE = [
  'Usage: npm run tokenize -- --run <name> [options]',
  '',
  'Starts the Glue tokenization job for one run and follows it to the end.',
  '',
  ...USAGE_ROWS.map(([flag, text]) => `  ${flag.padEnd(USAGE_WIDTH)}${text}`),
  '',
  "Options not given keep the job's defaults, which the data stack set from the configuration.",
].join('\n');

/** The flags as util.parseArgs reads them: `--add-eos` is a switch that may take `true` or `false` after it. */
const FLAGS: Flags = Object.fromEntries(
  ['--run', ...Object.keys(OVERRIDES), TIMEOUT_FLAG].map((flag) => [
    flag.slice(2),
    { type: flag === '--add-eos' ? 'boolean' : 'string' },
  ]),
);

/** Reads the command line; throws a UsageError that lists every problem. */
export function parseTokenizeArgs(argv: readonly string[]): TokenizeRequest {
  const { given, context, help, ...line } = collectArgs(argv, {
    flags: FLAGS,
    accepted: acceptedFor,
    stray: (arg) => `${JSON.stringify(arg.text)}: not an option. Accepted: ${ACCEPTED_FLAGS.join(', ')}`,
    optionalValues: ['--add-eos'],
  });
  const problems = [...line.problems];
  if (help) return { run: given.get('--run') ?? '', overrides: {}, context, help };

  const run = given.get('--run');
  if (run === undefined) problems.push('--run: missing. Accepted: 1 to 63 lowercase letters, digits and hyphens');
  else {
    try {
      validateRunName(run);
    } catch (error) {
      problems.push(`--run ${(error as Error).message.replace(/^run = /, '= ')}`);
    }
  }

  const overrides: Record<string, string> = {};
  for (const [flag, value] of given) {
    const rule = OVERRIDES[flag];
    if (!rule) continue;
    const why = rule.check(value);
    if (why) problems.push(`${flag} = ${JSON.stringify(value)}: ${why}. Accepted: ${rule.accepted}`);
    else overrides[flag] = value;
  }

  let timeoutMinutes: number | undefined;
  const timeout = given.get(TIMEOUT_FLAG);
  if (timeout !== undefined) {
    if (INTEGER.test(timeout) && Number(timeout) >= 1) timeoutMinutes = Number(timeout);
    else
      problems.push(
        `${TIMEOUT_FLAG} = ${JSON.stringify(timeout)}: not accepted. Accepted: ${acceptedFor(TIMEOUT_FLAG)}`,
      );
  }

  if (problems.length > 0) throw new UsageError('tokenize', problems);
  return { run: run as string, overrides, timeoutMinutes, context, help };
}

/**
 * The rules that need the configuration: the sequence length must still split over tensor parallelism, and mixing
 * needs a general corpus. Arguments not overridden are the job's defaults, which the stack set from this same
 * configuration.
 */
export function checkAgainstConfig(request: TokenizeRequest, config: CptConfig): void {
  const problems: string[] = [];
  const length = request.overrides['--sequence-length'];
  if (length !== undefined && !splitsSequence(Number(length), config.tensorParallelDegree)) {
    problems.push(
      `--sequence-length = ${JSON.stringify(length)}: not divisible by tensorParallelDegree ${config.tensorParallelDegree} of the configuration (sequence parallelism splits each row over it). Accepted: ${FIELDS.sequenceLength.accepted}`,
    );
  }
  const share = request.overrides['--general-share'] ?? String(config.generalDataShare);
  const general = request.overrides['--general-uri'] ?? config.generalCorpusPrefix;
  if (Number(share) > 0 && general === '') {
    const shareFrom =
      '--general-share' in request.overrides
        ? `--general-share = ${share}`
        : `generalDataShare = ${share} (the job's default)`;
    const noneFrom =
      '--general-uri' in request.overrides ? "--general-uri is ''" : "generalCorpusPrefix is empty (the job's default)";
    problems.push(
      `${shareFrom} mixes in a general corpus, but ${noneFrom}. Accepted: --general-share 0, or a --general-uri`,
    );
  }
  if (problems.length > 0) throw new UsageError('tokenize', problems);
}

function acceptedFor(flag: string): string {
  if (flag === TIMEOUT_FLAG) return 'a whole number of minutes, at least 1';
  if (flag === '--run') return '1 to 63 lowercase letters, digits and hyphens';
  return OVERRIDES[flag].accepted;
}
