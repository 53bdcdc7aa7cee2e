import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { CONFIG_KEYS, ConfigKey, FIELDS } from './fields';
import { configSchema, CptConfig } from './schema';

/** Context key in cdk.json that holds the default configuration. */
export const DEFAULTS_CONTEXT_KEY = 'trainium-cpt';
/** Context key naming a JSON file of overrides: `cdk synth -c config=my-run.json`. */
export const CONFIG_FILE_CONTEXT_KEY = 'config';

/** Bad configuration: the message lists every problem, each with its key, value, source and what is accepted. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid trainium-cpt configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Layer = { readonly source: string; readonly values: Record<string, unknown> };

/**
 * Builds the configuration from three layers, later ones winning: the defaults in cdk.json, an optional JSON file
 * (`-c config=path`), and single keys given on the command line (`-c nodeCount=4`).
 */
export function loadConfig(context: Record<string, unknown>, baseDir = process.cwd()): CptConfig {
  const layers: Layer[] = [{ source: 'cdk.json', values: defaultsFrom(context) }];
  const file = context[CONFIG_FILE_CONTEXT_KEY];
  if (file !== undefined) layers.push(readConfigFile(String(file), baseDir));
  const { values: overrides, problems } = commandLineOverrides(context);
  layers.push({ source: '-c', values: overrides });
  return mergeAndValidate(layers, problems);
}

/**
 * The configuration as `cdk` sees it in this repository: the defaults of its cdk.json, then `context` (the `-c`
 * flags of a command line). The CLIs use it, so they read the same values the stacks were deployed with.
 */
export function loadProjectConfig(
  context: Record<string, unknown> = {},
  root = path.join(__dirname, '..', '..'),
): CptConfig {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8'));
  return loadConfig({ [DEFAULTS_CONTEXT_KEY]: cdkJson.context?.[DEFAULTS_CONTEXT_KEY], ...context }, root);
}

function defaultsFrom(context: Record<string, unknown>): Record<string, unknown> {
  const defaults = context[DEFAULTS_CONTEXT_KEY];
  if (!isPlainObject(defaults)) {
    throw new ConfigError([`cdk.json has no "${DEFAULTS_CONTEXT_KEY}" object in "context": restore it from git`]);
  }
  return defaults;
}

function readConfigFile(file: string, baseDir: string): Layer {
  const resolved = path.resolve(baseDir, file);
  const source = `file ${file}`;
  let text: string;
  try {
    text = fs.readFileSync(resolved, 'utf8');
  } catch (error) {
    throw new ConfigError([`config = "${file}": cannot read ${resolved} (${(error as Error).message})`]);
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`config = "${file}": not valid JSON (${(error as Error).message})`]);
  }
  if (!isPlainObject(values)) throw new ConfigError([`config = "${file}": must hold a JSON object of config keys`]);
  return { source, values };
}

/** Plain camelCase context keys are ours; CDK's own keys have a colon, a slash or a hyphen. */
function isUserContextKey(key: string): boolean {
  return /^[a-z][A-Za-z0-9]*$/.test(key) && key !== CONFIG_FILE_CONTEXT_KEY;
}

function commandLineOverrides(context: Record<string, unknown>) {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(context)) {
    if (!isUserContextKey(key)) continue;
    if (isConfigKey(key)) values[key] = fromCommandLine(key, value);
    else problems.push(unknownKeyProblem(key, '-c'));
  }
  return { values, problems };
}

function isConfigKey(key: string): key is ConfigKey {
  return (CONFIG_KEYS as string[]).includes(key);
}

/** `cdk -c key=value` gives strings: turn them into the type the key expects. */
function fromCommandLine(key: ConfigKey, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const kind = baseType(FIELDS[key].schema);
  if (value === '' && FIELDS[key].schema.safeParse(undefined).success) return undefined;
  if (kind === 'number' && /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value.trim())) return Number(value);
  if (kind === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  // A choice of numbers (fsxThroughputPerTiB: 125 | 250 | 500 | 1000) is a union, not a number type.
  if (kind === 'union' && FIELDS[key].schema.safeParse(Number(value)).success) return Number(value);
  return value;
}

function baseType(schema: z.ZodType): string {
  const def = schema.def as { type: string; innerType?: z.ZodType };
  return def.type === 'optional' && def.innerType ? baseType(def.innerType) : def.type;
}

function mergeAndValidate(layers: Layer[], problems: string[]): CptConfig {
  const merged: Record<string, unknown> = {};
  const sourceOf: Record<string, string> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      if (!isConfigKey(key)) {
        problems.push(unknownKeyProblem(key, layer.source));
        continue;
      }
      // JSON has no "unset": null clears an optional key.
      if (value === null || value === undefined) delete merged[key];
      else merged[key] = value;
      sourceOf[key] = layer.source;
    }
  }
  const result = configSchema.safeParse(merged);
  if (result.success && problems.length === 0) return result.data;
  const invalid = (result.error?.issues ?? []).map((issue) => {
    const key = String(issue.path[0]) as ConfigKey;
    const shown = key in merged ? JSON.stringify(merged[key]) : 'unset';
    const from = sourceOf[key] ? ` (from ${sourceOf[key]})` : '';
    return `${key} = ${shown}${from}: ${issue.message}. Accepted: ${FIELDS[key].accepted}.`;
  });
  throw new ConfigError([...invalid, ...problems]);
}

function unknownKeyProblem(key: string, source: string): string {
  const suggestion = closestKey(key);
  const hint = suggestion ? `did you mean ${suggestion}?` : `accepted keys: ${CONFIG_KEYS.join(', ')}`;
  return `${key} (from ${source}): not a configuration key; ${hint}`;
}

function closestKey(key: string): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of CONFIG_KEYS) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= 3 && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
