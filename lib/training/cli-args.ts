import {
  CONTEXT_FLAGS,
  HELP_FLAGS,
  parseContextPair,
  splitInline,
  UsageError as CommandUsageError,
} from '../shared/command-line';
import { TRAINING_ACTIONS, TrainingAction } from './contract';
import { OVERRIDE_RULES, OverrideKey, Overrides, RUN_NAME_ACCEPTED } from './requests';
import { RUN_NAME_PATTERN } from '../data/job-arguments';

/**
 * The command lines of `npm run submit`, `npm run status` and `npm run cancel` (one program, the action first):
 * `--run <name>`, for submit the settings a run may override, and the `-c key=value` flags that select the
 * configuration (as for cdk). Every value is checked here, before anything reaches AWS; every problem is reported.
 */

/** Bad flags: the message lists each problem with the flag, the value and what is accepted. */
export class UsageError extends CommandUsageError {
  constructor(
    readonly action: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid arguments to npm run ${action}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, action);
  }
}

export interface TrainingCommandLine {
  readonly action: TrainingAction;
  readonly run: string;
  /** Submit only: the settings given; every other one keeps the deployed configuration's. */
  readonly overrides: Overrides;
  /** Submit only: continue the run from its newest checkpoint, with its settings (`--resume`; no overrides with it). */
  readonly resume: boolean;
  /** Print the function's answer as JSON instead of text. */
  readonly json: boolean;
  /** `-c key=value` pairs, for loadConfig. */
  readonly context: Readonly<Record<string, string>>;
  readonly help: boolean;
}

/** The flag of each override, and whether it takes an integer. */
export const OVERRIDE_FLAGS: Readonly<Record<OverrideKey, { readonly flag: string; readonly integer: boolean }>> = {
  nodes: { flag: '--nodes', integer: true },
  tensorParallel: { flag: '--tensor-parallel', integer: true },
  globalBatch: { flag: '--global-batch', integer: true },
  microBatch: { flag: '--micro-batch', integer: true },
  learningRate: { flag: '--learning-rate', integer: false },
  minLearningRate: { flag: '--min-learning-rate', integer: false },
  warmupSteps: { flag: '--warmup-steps', integer: true },
  epochs: { flag: '--epochs', integer: false },
  steps: { flag: '--steps', integer: true },
  checkpointEvery: { flag: '--checkpoint-every', integer: true },
  checkpointsKept: { flag: '--checkpoints-kept', integer: true },
};
const KEY_OF_FLAG = new Map(Object.entries(OVERRIDE_FLAGS).map(([key, { flag }]) => [flag, key as OverrideKey]));

/** Submit's flag without a value: the request resumes the run. */
export const RESUME_FLAG = '--resume';

const INTEGER = /^\d+$/;
/** Decimal numbers, with an exponent allowed (learning rates are written 1.5e-4). No sign: nothing here is negative. */
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

const SUMMARY: Record<TrainingAction, string> = {
  submit: "Submits a tokenized run's training chain (prepare, compile, train, export, evaluate) to the cluster.",
  status: "Prints the state of each job of a run's training chain.",
  cancel: "Cancels every job of a run's training chain that has not ended.",
};

export function usage(action: TrainingAction): string {
  const rows: [string, string][] = [['--run <name>', `the run, as tokenized (npm run tokenize): ${RUN_NAME_ACCEPTED}`]];
  if (action === 'submit') {
    rows.push([
      RESUME_FLAG,
      'continue the run from its newest checkpoint, after a failed or cancelled chain; it keeps its settings: no option below with it',
    ]);
    for (const [key, { flag }] of Object.entries(OVERRIDE_FLAGS))
      rows.push([`${flag} <n>`, OVERRIDE_RULES[key as OverrideKey].accepted]);
  }
  rows.push(['--json', "print the function's answer as JSON"]);
  rows.push(['-c key=value', 'a configuration key, as for cdk (projectName, region, config=file.json, ...)']);
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return [
    `Usage: npm run ${action} -- --run <name>${action === 'submit' ? ` [${RESUME_FLAG} | options]` : ''}`,
    '',
    SUMMARY[action],
    '',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`),
    ...(action === 'submit'
      ? [
          '',
          'Options not given keep the deployed configuration (nodeCount, tensorParallelDegree, globalBatchSize, ...).',
        ]
      : []),
  ].join('\n');
}

/** Reads the command line (the action first); throws a UsageError that lists every problem. */
export function parseTrainingArgs(argv: readonly string[]): TrainingCommandLine {
  const [first, ...rest] = argv;
  if (!TRAINING_ACTIONS.includes(first as TrainingAction)) {
    throw new UsageError('submit', [
      `${JSON.stringify(first ?? '')}: not an action. Accepted: ${TRAINING_ACTIONS.join(', ')}`,
    ]);
  }
  const action = first as TrainingAction;
  const problems: string[] = [];
  const given = new Map<string, string>();
  const context: Record<string, string> = {};
  let help = false;
  let json = false;
  let resume = false;

  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (HELP_FLAGS.includes(arg)) {
      help = true;
      continue;
    }
    if (arg === '--json') {
      json = true;
      continue;
    }
    if (action === 'submit' && (arg === RESUME_FLAG || arg.startsWith(`${RESUME_FLAG}=`))) {
      if (arg !== RESUME_FLAG) problems.push(`${JSON.stringify(arg)}: ${RESUME_FLAG} takes no value`);
      else if (resume) problems.push(`${RESUME_FLAG}: given twice`);
      resume = true;
      continue;
    }
    if (CONTEXT_FLAGS.includes(arg)) {
      const pair = rest[++i];
      const parsed = parseContextPair(pair);
      if (parsed) context[parsed[0]] = parsed[1];
      else problems.push(`${arg} ${pair ?? ''}`.trim() + ': expects key=value');
      continue;
    }
    const [flag, inline] = splitInline(arg);
    const accepted = flag === '--run' || (action === 'submit' && KEY_OF_FLAG.has(flag));
    if (!accepted) {
      const also = action === 'submit' ? [RESUME_FLAG, ...KEY_OF_FLAG.keys()] : [];
      const forSubmit =
        action !== 'submit' && (KEY_OF_FLAG.has(flag) || flag === RESUME_FLAG)
          ? ` (${flag} is an option of npm run submit)`
          : '';
      problems.push(
        `${JSON.stringify(arg)}: not an option${forSubmit}. Accepted: ${['--run', ...also, '--json', '-c key=value', '--help'].join(', ')}`,
      );
      // Its value, if it has one, is not a second problem.
      if (flag.startsWith('--') && inline === undefined && rest[i + 1] !== undefined && !rest[i + 1].startsWith('-'))
        i++;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= rest.length) {
        problems.push(`${flag}: needs a value. Accepted: ${acceptedFor(flag)}`);
        continue;
      }
      value = rest[++i];
    }
    if (given.has(flag))
      problems.push(`${flag}: given twice (${JSON.stringify(given.get(flag))} and ${JSON.stringify(value)})`);
    given.set(flag, value);
  }
  if (help) return { action, run: given.get('--run') ?? '', overrides: {}, resume, json, context, help };

  const run = given.get('--run');
  if (run === undefined) problems.push(`--run: missing. Accepted: ${RUN_NAME_ACCEPTED}`);
  else if (!RUN_NAME_PATTERN.test(run))
    problems.push(`--run = ${JSON.stringify(run)}: not a valid run name. Accepted: ${RUN_NAME_ACCEPTED}`);

  const overrides: Overrides = {};
  for (const [flag, text] of given) {
    const key = KEY_OF_FLAG.get(flag);
    if (!key) continue;
    const syntax = OVERRIDE_FLAGS[key].integer ? INTEGER : DECIMAL;
    const value = Number(text);
    if (syntax.test(text) && OVERRIDE_RULES[key].schema.safeParse(value).success) overrides[key] = value;
    else problems.push(`${flag} = ${JSON.stringify(text)}: not accepted. Accepted: ${acceptedFor(flag)}`);
  }
  const overrideFlags = [...given.keys()].filter((flag) => KEY_OF_FLAG.has(flag));
  if (resume && overrideFlags.length > 0) {
    problems.push(
      `${RESUME_FLAG} with ${overrideFlags.join(', ')}: a resumed run keeps the settings it was first submitted with. ` +
        `Accepted: ${RESUME_FLAG} alone, or the options without ${RESUME_FLAG}`,
    );
  }
  if (problems.length > 0) throw new UsageError(action, problems);
  return { action, run: run as string, overrides, resume, json, context, help };
}

/** A problem of plan.ts (worded with override keys) in the words of the command line (flags). */
export function inFlags(problem: string): string {
  return problem.replace(
    /^(\w+) = (\S+) \((override|default)\)/,
    (whole, key: string, value: string, source: string) => {
      const flag = OVERRIDE_FLAGS[key as OverrideKey]?.flag;
      if (!flag) return whole;
      return source === 'override'
        ? `${flag} = ${value}`
        : `${key} = ${value} (the deployed configuration's, no ${flag} given)`;
    },
  );
}

function acceptedFor(flag: string): string {
  if (flag === '--run') return RUN_NAME_ACCEPTED;
  const key = KEY_OF_FLAG.get(flag);
  return key ? OVERRIDE_RULES[key].accepted : '';
}
