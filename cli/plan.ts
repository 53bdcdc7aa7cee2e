/**
 * The cost and time of a training run before anything is deployed (lib/plan). Offline: nothing reaches AWS.
 *
 *   npm run plan
 *   npm run plan -- --tokens 20e9 -c nodeCount=8 -c globalBatchSize=1024
 *   npm run plan -- --manifest manifest.json -c region=us-east-2
 *   npm run plan -- -c measuredTokensPerSecondPerNode=23500
 *
 * Exit codes: 0 printed; 1 the configuration is invalid or cannot be priced (its message names the key);
 * 2 bad flags or an unreadable or malformed manifest (one line: the argument, the value, what is accepted).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, loadProjectConfig } from '../lib/config/load';
import { CptConfig } from '../lib/config/schema';
import { parsePlanArgs, PlanUsageError, USAGE } from '../lib/plan/args';
import { MANIFEST_ACCEPTED, ManifestInputError, parseManifest, PlanData } from '../lib/plan/dataset';
import { estimateRun, PlanError } from '../lib/plan/estimate';
import { formatPlan } from '../lib/plan/format';

export const EXIT = { ok: 0, config: 1, usage: 2 } as const;

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
    if (!(error instanceof PlanUsageError)) throw error;
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
      if (counts.sequenceLength !== config.sequenceLength) {
        deps.printError(
          `--manifest ${JSON.stringify(line.manifest)}: parameters.sequenceLength = ${counts.sequenceLength}, but the configuration's sequenceLength is ${config.sequenceLength}. ` +
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

if (require.main === module) {
  // npm runs scripts from the package's folder; a relative --manifest is relative to where npm was called.
  const callerDir = process.env.INIT_CWD ?? process.cwd();
  try {
    process.exitCode = planCommand(process.argv.slice(2), {
      loadConfig: (context) => loadProjectConfig(context),
      readFile: (file) => fs.readFileSync(path.resolve(callerDir, file), 'utf8'),
      print: (text) => console.log(text),
      printError: (text) => console.error(text),
    });
  } catch (error) {
    console.error(String(error));
    process.exitCode = EXIT.config;
  }
}
