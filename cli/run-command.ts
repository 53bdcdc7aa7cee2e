import { CptConfig } from '../lib/config/schema';
import { describeFailure } from '../lib/shared/command-line';

/** The SDK client options of a CLI: the config's Region when it sets one (where cdk deployed), else the SDK's own chain. */
export function clientOptions<T extends object>(config: CptConfig, base: T): T & { region?: string } {
  return config.region ? { ...base, region: config.region } : base;
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
