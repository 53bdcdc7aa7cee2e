/** `npm run plan` (see main.ts) with its files and output passed in, as tests drive it. */
import { ConfigError } from '../../lib/config/load';
import { CptConfig } from '../../lib/config/schema';
import { MANIFEST_ACCEPTED, ManifestInputError, parseManifest, PlanData } from '../../lib/plan/dataset';
import { estimateRun, PlanError } from '../../lib/plan/estimate';
import { formatPlan } from '../../lib/plan/format';
import { sequenceLengthMismatch } from '../../lib/run/manifest';
import { EXIT_CODES, UsageError } from '../shared/command-line';
import { parsePlanArgs, USAGE } from './args';

/** The exit codes (see main.ts): unlike the other commands', an invalid configuration exits 1. */
export const EXIT = { ok: EXIT_CODES.succeeded, config: EXIT_CODES.failed, usage: EXIT_CODES.usage } as const;

export interface PlanCommandDeps {
  readonly loadConfig: (context: Record<string, string>) => CptConfig;
  readonly readFile: (file: string) => string;
  readonly print: (text: string) => void;
  readonly printError: (text: string) => void;
}

/** Runs `npm run plan` with these arguments; returns the exit code. */
export function planCommand(argv: readonly string[], deps: PlanCommandDeps): number {
  let line;
  try {
    line = parsePlanArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    deps.printError(error.message);
    return EXIT.usage;
  }
  if (line.help) {
    deps.print(USAGE);
    return EXIT.ok;
  }

  let config: CptConfig;
  try {
    config = deps.loadConfig({ ...line.context });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    deps.printError(error.message);
    return EXIT.config;
  }

  let data: PlanData;
  if (line.manifest !== undefined) {
    let text: string;
    try {
      text = deps.readFile(line.manifest);
    } catch (error) {
      deps.printError(
        `--manifest ${JSON.stringify(line.manifest)}: cannot read it (${(error as Error).message}). Accepted: ${MANIFEST_ACCEPTED}`,
      );
      return EXIT.usage;
    }
    try {
      const counts = parseManifest(text, JSON.stringify(line.manifest));
      const mismatch = sequenceLengthMismatch(counts.sequenceLength, config.sequenceLength);
      if (mismatch !== undefined) {
        deps.printError(
          `--manifest ${JSON.stringify(line.manifest)}: ${mismatch}. ` +
            `Accepted: a manifest of rows of ${config.sequenceLength} tokens, or this one with -c sequenceLength=${counts.sequenceLength}`,
        );
        return EXIT.usage;
      }
      data = { manifest: counts, source: line.manifest };
    } catch (error) {
      if (!(error instanceof ManifestInputError)) throw error;
      deps.printError(error.message);
      return EXIT.usage;
    }
  } else if (line.tokens !== undefined) {
    data = { trainTokens: line.tokens, source: '--tokens' };
  } else {
    data = { trainTokens: config.plannedTrainTokens, source: 'plannedTrainTokens' };
  }

  try {
    deps.print(formatPlan(estimateRun(config, data)));
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    deps.printError(error.message);
    return error.field.startsWith('--') ? EXIT.usage : EXIT.config;
  }
  return EXIT.ok;
}
