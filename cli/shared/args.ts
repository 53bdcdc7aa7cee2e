import { parseArgs, ParseArgsConfig } from 'util';

/**
 * Reading a command line with Node's util.parseArgs: long flags with a value (`--run r1`, `--run=r1`), switches
 * (`--json`), short forms (`-c`, `-h`) and `--`. Not in strict mode: strict stops at the first problem in Node's words,
 * while the commands name every problem with the flag, the value and what is accepted.
 */

/** The flags a command takes, by long name, as util.parseArgs reads them. */
export type Flags = NonNullable<ParseArgsConfig['options']>;

/** `--help` (`-h`), taken by every command. */
export const HELP: Flags = { help: { type: 'boolean', short: 'h' } };
/** A configuration key, as for cdk: `-c key=value` or `--context key=value`, repeated. */
export const CONTEXT: Flags = { context: { type: 'string', short: 'c' } };

/** A flag the command takes: its long name, how it was typed (`-c`), its value (none: undefined) and whether it came after `=`. */
export interface FlagArg {
  readonly kind: 'flag';
  readonly name: string;
  readonly as: string;
  readonly value?: string;
  readonly inline: boolean;
}

/** Any other argument, as typed: a flag the command does not take, `--`, or a word (`positional`; so is all after `--`). */
export interface OtherArg {
  readonly kind: 'other';
  readonly text: string;
  readonly positional: boolean;
}

export type Arg = FlagArg | OtherArg;

/** The arguments in the order given. A group of short flags (`-abc`) is not taken: it is one other argument. */
export function readArgs(argv: readonly string[], flags: Flags): Arg[] {
  const { tokens } = parseArgs({
    args: [...argv],
    options: flags,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const perArgument = new Map<number, number>();
  for (const token of tokens) perArgument.set(token.index, (perArgument.get(token.index) ?? 0) + 1);
  const args: Arg[] = [];
  const groupsTaken = new Set<number>();
  for (const token of tokens) {
    if (token.kind === 'positional') args.push({ kind: 'other', text: token.value, positional: true });
    else if (token.kind === 'option-terminator') args.push({ kind: 'other', text: '--', positional: false });
    else if (perArgument.get(token.index) === 1 && Object.hasOwn(flags, token.name))
      args.push({ kind: 'flag', name: token.name, as: token.rawName, value: token.value, inline: !!token.inlineValue });
    else if (!groupsTaken.has(token.index)) {
      groupsTaken.add(token.index);
      args.push({ kind: 'other', text: argv[token.index], positional: false });
    }
  }
  return args;
}

/** Splits the value of a `-c` flag; undefined when it is not `key=value`. */
export function parseContextPair(pair: string | undefined): [key: string, value: string] | undefined {
  const match = pair === undefined ? null : /^([^=]+)=(.*)$/.exec(pair);
  return match ? [match[1], match[2]] : undefined;
}

/** What a command that names every problem at once reads from its line. */
export interface CommandLine {
  /** The value of each flag given (`--run` → `r1`), as typed. */
  readonly given: ReadonlyMap<string, string>;
  /** The switches given (`--json`), and how many times. */
  readonly switches: ReadonlyMap<string, number>;
  /** `-c key=value` pairs, for loadConfig. */
  readonly context: Readonly<Record<string, string>>;
  readonly help: boolean;
  /** Every problem, in the order of the arguments. */
  readonly problems: readonly string[];
}

export interface LineRules {
  /** The command's flags; --help and -c are added. */
  readonly flags: Flags;
  /** What a flag accepts, for "needs a value". */
  accepted(flag: string): string;
  /** The problem with an argument the command does not take; undefined when it is not one (an unknown flag's value). */
  stray(arg: OtherArg, previous: Arg | undefined): string | undefined;
  /** Switches that take the word after them as their value, when one follows (`--add-eos false`; alone: `true`). */
  readonly optionalValues?: readonly string[];
}

/** Reads the flags, each given once, the `-c` pairs and --help; every problem is collected, none thrown. */
export function collectArgs(argv: readonly string[], rules: LineRules): CommandLine {
  const given = new Map<string, string>();
  const switches = new Map<string, number>();
  const context: Record<string, string> = {};
  const problems: string[] = [];
  let help = false;
  const args = readArgs(argv, { ...HELP, ...CONTEXT, ...rules.flags });
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.kind === 'other') {
      const problem = rules.stray(arg, args[i - 1]);
      if (problem) problems.push(problem);
      continue;
    }
    const flag = `--${arg.name}`;
    if (arg.name === 'help') help = true;
    else if (arg.name === 'context') {
      const pair = parseContextPair(arg.value);
      if (pair) context[pair[0]] = pair[1];
      else problems.push(`${arg.as} ${arg.value ?? ''}`.trim() + ': expects key=value');
    } else if (rules.flags[arg.name].type === 'boolean' && !rules.optionalValues?.includes(flag)) {
      if (arg.value !== undefined) problems.push(`${JSON.stringify(`${arg.as}=${arg.value}`)}: ${flag} takes no value`);
      switches.set(flag, (switches.get(flag) ?? 0) + 1);
    } else {
      let value = arg.value;
      if (value === undefined && rules.optionalValues?.includes(flag)) {
        const next = args[i + 1];
        value = 'true';
        if (next?.kind === 'other' && next.positional) {
          value = next.text;
          i++;
        }
      }
      if (value === undefined) problems.push(`${flag}: needs a value. Accepted: ${rules.accepted(flag)}`);
      else {
        const before = given.get(flag);
        if (before !== undefined)
          problems.push(`${flag}: given twice (${JSON.stringify(before)} and ${JSON.stringify(value)})`);
        given.set(flag, value);
      }
    }
  }
  return { given, switches, context, help, problems };
}
