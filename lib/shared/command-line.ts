import { ConfigError } from '../config/load';

/**
 * What the npm-run commands share: the `--help` and `-c key=value` flags, `--flag=value`, the exit codes, and how
 * a failure is printed (one clear message, never a stack trace).
 */

export const HELP_FLAGS: readonly string[] = ['--help', '-h'];
/** The flags that set a configuration key, as for cdk: `-c key=value` or `--context key=value`. */
export const CONTEXT_FLAGS: readonly string[] = ['-c', '--context'];

/** Splits the value of a `-c` flag; undefined when it is not `key=value`. */
export function parseContextPair(pair: string | undefined): [key: string, value: string] | undefined {
  const match = pair === undefined ? null : /^([^=]+)=(.*)$/.exec(pair);
  return match ? [match[1], match[2]] : undefined;
}

/** `--flag=value` → [flag, value]; any other argument → [argument, undefined]. */
export function splitInline(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

export const EXIT_CODES = {
  succeeded: 0,
  /** The work failed, or AWS refused a call. */
  failed: 1,
  /** Bad flags or configuration: nothing was done. */
  usage: 2,
} as const;

/** A wrong command line: printed with a pointer to `npm run <command> -- --help`. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure whose message says what happened and what to do; printed as it is, with its exit code. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_CODES.failed,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** The message and exit code of a command's error. */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof UsageError)
    return { message: `${error.message}\nSee: npm run ${error.command} -- --help`, exitCode: EXIT_CODES.usage };
  if (error instanceof ConfigError) return { message: error.message, exitCode: EXIT_CODES.usage };
  if (error instanceof CommandError) return { message: error.message, exitCode: error.exitCode };
  return { message: String(error), exitCode: EXIT_CODES.failed };
}
