import { RUN_NAME_PATTERN } from '../../lib/data/job-arguments';
import { TRAINING_ACTIONS, TrainingAction } from '../../lib/training/contract';
import { OVERRIDE_RULES, OverrideKey, Overrides, RUN_NAME_ACCEPTED } from '../../lib/training/requests';
import { Arg, collectArgs, Flags, OtherArg } from '../shared/args';
import { UsageError } from '../shared/command-line';

/**
 * The command lines of `npm run submit`, `npm run status` and `npm run cancel` (one program, the action first):
 * `--run <name>`, for submit the settings a run may override, and the `-c key=value` flags that select the
 * configuration (as for cdk). Every value is checked here, before anything reaches AWS; every problem is reported.
 */

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
const RESUME_FLAG = '--resume';

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

/** The flags of an action, as util.parseArgs reads them. */
function flagsOf(action: TrainingAction): Flags {
  const flags: Flags = { run: { type: 'string' }, json: { type: 'boolean' } };
  if (action !== 'submit') return flags;
  flags[RESUME_FLAG.slice(2)] = { type: 'boolean' };
  for (const flag of KEY_OF_FLAG.keys()) flags[flag.slice(2)] = { type: 'string' };
  return flags;
}

/** The problem with an argument the action does not take. */
function strayProblem(action: TrainingAction, arg: OtherArg, previous: Arg | undefined): string | undefined {
  // The value of an unknown flag (`--bogus 1`) is not a second problem.
  if (arg.positional && previous?.kind === 'other' && /^--[^=]*$/.test(previous.text)) return undefined;
  const flag = arg.text.split('=')[0];
  const also = action === 'submit' ? [RESUME_FLAG, ...KEY_OF_FLAG.keys()] : [];
  const forSubmit =
    action !== 'submit' && (KEY_OF_FLAG.has(flag) || flag === RESUME_FLAG)
      ? ` (${flag} is an option of npm run submit)`
      : '';
  return `${JSON.stringify(arg.text)}: not an option${forSubmit}. Accepted: ${['--run', ...also, '--json', '-c key=value', '--help'].join(', ')}`;
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
  const { given, switches, context, help, ...line } = collectArgs(rest, {
    flags: flagsOf(action),
    accepted: acceptedFor,
    stray: (arg, previous) => strayProblem(action, arg, previous),
  });
  const problems = [...line.problems];
  const json = switches.has('--json');
  const resume = switches.has(RESUME_FLAG);
  if ((switches.get(RESUME_FLAG) ?? 0) > 1) problems.push(`${RESUME_FLAG}: given twice`);
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
