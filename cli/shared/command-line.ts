import { ConfigError } from '../../lib/config/load';

/**
 * What the npm-run commands share: the exit codes, the one error for a wrong command line, and how a failure is
 * printed (one clear message, never a stack trace).
 */

export const EXIT_CODES = {
  succeeded: 0,
  /** The work failed, or AWS refused a call. */
  failed: 1,
  /** Bad flags or configuration: nothing was done. */
  usage: 2,
} as const;

/**
 * A wrong command line: nothing was done. Each problem names the flag, the value and what is accepted. Listed under
 * "Invalid arguments to npm run <command>:" by the commands that report every problem at once; alone on its line by
 * those that stop at the first (`single`).
 */
export class UsageError extends Error {
  constructor(
    readonly command: string,
    readonly problems: readonly string[],
    listed = true,
  ) {
    super(
      listed ? `Invalid arguments to npm run ${command}:\n${problems.map((p) => `  - ${p}`).join('\n')}` : problems[0],
    );
    this.name = 'UsageError';
  }

  /** The first problem of a command line, alone. */
  static single(command: string, problem: string): UsageError {
    return new UsageError(command, [problem], false);
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

/** The message and exit code of a command's error; a wrong command line points at `npm run <command> -- --help`. */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof UsageError)
    return { message: `${error.message}\nSee: npm run ${error.command} -- --help`, exitCode: EXIT_CODES.usage };
  if (error instanceof ConfigError) return { message: error.message, exitCode: EXIT_CODES.usage };
  if (error instanceof CommandError) return { message: error.message, exitCode: error.exitCode };
  return { message: String(error), exitCode: EXIT_CODES.failed };
}

/** Runs a CLI's main and sets the exit code; a failure prints one clear message, never a stack trace. */
export function runCommand(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const { message, exitCode } = describeFailure(error);
      console.error(message);
      process.exitCode = exitCode;
    },
  );
}
