import { z } from 'zod';
import { RUN_REQUEST, SUBMIT_REQUEST } from '../../lib/training/request-schema';
import { JsonSchema, requestSchemas } from './json-schema';
import { seedRunRequest, seedSubmitRequest } from './seed-request';

/**
 * cluster/training/tests/fixtures/request-probes.json: requests that test the cluster's validator against the
 * TypeScript schema. The seed request, valid; then, for every field of the schemas, values just inside and just
 * outside each limit, the wrong type, the field missing, an unknown field, null where it is not allowed, and strings
 * that break its pattern (a trailing newline, characters of other scripts). Each probe's verdict is the zod schema's
 * own; a probe whose verdict is not the one its limit implies stops the generation (the JSON Schema would say
 * another thing than zod). The cluster's test gives every probe to its validator and expects the same verdict, and
 * the probe's field named in its error.
 */

export const PROBES_FILE = 'cluster/training/tests/fixtures/request-probes.json';

export interface Probe {
  readonly name: string;
  readonly action: 'submit' | 'status' | 'cancel';
  readonly request: unknown;
  readonly valid: boolean;
  /** The dotted path of the field the probe breaks (absent when it is valid). */
  readonly field?: string;
}

/** An intended probe, before zod gives its verdict. */
interface Case {
  readonly name: string;
  readonly request: unknown;
  /** The field it breaks, or undefined when it should be valid. */
  readonly breaks?: string;
}

const UNKNOWN = 'unexpected';
const DELETE = Symbol('delete');

/** A copy of `value` with the field at `path` set (or deleted). */
function withField(value: unknown, path: readonly string[], field: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1];
  if (field === DELETE) delete node[last];
  else node[last] = field;
  return copy;
}

/** The next double above (or below) x: the closest value outside an inclusive limit, inside an exclusive one. */
function nextDouble(x: number, direction: 1 | -1): number {
  if (x === 0) return direction * Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  view.setBigInt64(0, bits + BigInt((x > 0 ? 1 : -1) * direction));
  return view.getFloat64(0);
}

/** Strings a pattern must refuse, beyond those of every pattern: per field, with what each one tries. */
const BAD_STRINGS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  run: [
    ['uppercase', 'Seed'],
    ['a leading hyphen', '-seed'],
    ['64 characters', 'a'.repeat(64)],
    ['a shell metacharacter', 'seed;reboot'],
  ],
  trainPath: [
    ['a .. component', '/fsx/datasets/seed/../../etc'],
    ['a . component', '/fsx/datasets/./seed'],
    ['outside the datasets', '/fsx/checkpoints/seed/train'],
    ['the datasets folder itself', '/fsx/datasets'],
    ['a space', '/fsx/datasets/seed run/train'],
    ['a relative path', 'fsx/datasets/seed/train'],
  ],
  'evalPaths.domain': [
    ['a .. component', '/fsx/datasets/seed/..'],
    ['outside the datasets', '/tmp/eval_domain'],
  ],
  'evalPaths.general': [['a .. component', '/fsx/datasets/../seed']],
  baseModel: [
    ['no owner', 'Llama-2-7b-hf'],
    ['a space', 'meta-llama/Llama 2'],
    ['a name of 97 characters', `meta-llama/${'a'.repeat(97)}`],
  ],
  hfTokenSecretArn: [
    ['another service', 'arn:aws:iam::123456789012:role/trainium'],
    ['Arabic-Indic digits in the account', 'arn:aws:secretsmanager:us-east-1:١٢٣٤٥٦٧٨٩٠١٢:secret:x'],
  ],
  exportS3Uri: [
    ['not s3://', 'https://bucket.s3.amazonaws.com/exports/seed/'],
    ['an uppercase bucket', 's3://Bucket/exports/seed/'],
  ],
  neuronRelease: [
    ['two parts', '2.28'],
    ['Neuron 3', '3.0.0'],
    ['Arabic-Indic digits', '2.٢٨.1'],
  ],
  partition: [
    ['uppercase', 'Trn'],
    ['26 characters', 'a'.repeat(26)],
  ],
};
/** Strings a pattern must accept at its edges. */
const GOOD_STRINGS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  run: [['63 characters', 'a'.repeat(63)]],
  baseModel: [['a name of 96 characters', `meta-llama/${'a'.repeat(96)}`]],
  partition: [['25 characters', 'a'.repeat(25)]],
};

/** Values of another JSON type than the schema's (a number with a fraction for an integer). */
function wrongTypes(types: readonly string[]): [string, unknown][] {
  const candidates: [string, unknown][] = [
    ['a string', '7'],
    ['a boolean', true],
    ['a number with a fraction', 7.5],
    ['a number', 7],
    ['an array', []],
  ];
  return candidates.filter(([, value]) => !allows(types, value));
}

function allows(types: readonly string[], value: unknown): boolean {
  if (typeof value === 'string') return types.includes('string');
  if (typeof value === 'boolean') return types.includes('boolean');
  if (typeof value === 'number')
    return types.includes('number') || (types.includes('integer') && Number.isInteger(value));
  if (Array.isArray(value)) return types.includes('array');
  return false;
}

function typesOf(schema: JsonSchema): string[] {
  if (schema.anyOf) return schema.anyOf.flatMap(typesOf);
  if (schema.type === undefined) return [];
  return typeof schema.type === 'string' ? [schema.type] : [...schema.type];
}

/** The cases of one field (and of the fields inside it). */
function fieldCases(schema: JsonSchema, base: unknown, path: readonly string[], required: boolean): Case[] {
  const field = path.join('.');
  const at = (value: unknown) => withField(base, path, value);
  const cases: Case[] = [];
  const types = typesOf(schema);
  if (required) cases.push({ name: `${field}: missing`, request: at(DELETE), breaks: field });
  cases.push({ name: `${field}: null`, request: at(null), breaks: types.includes('null') ? undefined : field });
  for (const [what, value] of wrongTypes(types))
    cases.push({ name: `${field}: ${what}`, request: at(value), breaks: field });
  const own = schema.anyOf?.find((option) => option.type !== 'null') ?? schema;
  const integer = typesOf(own).includes('integer');
  const edge = (name: string, value: number, inside: boolean) =>
    cases.push({
      name: `${field}: ${name} (${inside ? 'inside' : 'outside'})`,
      request: at(value),
      breaks: inside ? undefined : field,
    });
  if (own.minimum !== undefined) {
    edge(`minimum ${own.minimum}`, own.minimum, true);
    edge(`minimum ${own.minimum}`, integer ? own.minimum - 1 : nextDouble(own.minimum, -1), false);
  }
  if (own.maximum !== undefined) {
    edge(`maximum ${own.maximum}`, own.maximum, true);
    edge(`maximum ${own.maximum}`, integer ? own.maximum + 1 : nextDouble(own.maximum, 1), false);
  }
  if (own.exclusiveMinimum !== undefined) {
    edge(
      `above ${own.exclusiveMinimum}`,
      integer ? own.exclusiveMinimum + 1 : nextDouble(own.exclusiveMinimum, 1),
      true,
    );
    edge(`above ${own.exclusiveMinimum}`, own.exclusiveMinimum, false);
  }
  if (own.exclusiveMaximum !== undefined) {
    edge(
      `below ${own.exclusiveMaximum}`,
      integer ? own.exclusiveMaximum - 1 : nextDouble(own.exclusiveMaximum, -1),
      true,
    );
    edge(`below ${own.exclusiveMaximum}`, own.exclusiveMaximum, false);
  }
  const allowed = own.const !== undefined ? [own.const] : own.enum;
  if (allowed) {
    for (const value of allowed)
      cases.push({ name: `${field}: ${JSON.stringify(value)}`, request: at(value), breaks: undefined });
    const numbers = allowed.filter((v): v is number => typeof v === 'number');
    // Each side of the allowed numbers (the previous version of a const, a degree between two allowed ones).
    const outside: unknown[] =
      numbers.length > 0
        ? [...new Set(numbers.flatMap((n) => [n - 1, n + 1]))].filter((n) => !numbers.includes(n)).slice(0, 2)
        : [`${String(allowed[0])}x`];
    for (const value of outside) {
      cases.push({
        name: `${field}: ${JSON.stringify(value)}, not one of ${JSON.stringify(allowed)}`,
        request: at(value),
        breaks: field,
      });
    }
  }
  if (own.pattern !== undefined) {
    const value = field.split('.').reduce((node, key) => (node as Record<string, unknown>)[key], base) as string;
    cases.push(
      { name: `${field}: a trailing newline`, request: at(`${value}\n`), breaks: field },
      { name: `${field}: a leading space`, request: at(` ${value}`), breaks: field },
      { name: `${field}: empty`, request: at(''), breaks: field },
    );
    for (const [what, bad] of BAD_STRINGS[field] ?? [])
      cases.push({ name: `${field}: ${what}`, request: at(bad), breaks: field });
    for (const [what, good] of GOOD_STRINGS[field] ?? []) cases.push({ name: `${field}: ${what}`, request: at(good) });
  }
  if (own.properties) cases.push(...objectCases(own, base, path));
  return cases;
}

/** The cases of an object's fields, and of a field it does not have. */
function objectCases(schema: JsonSchema, base: unknown, path: readonly string[]): Case[] {
  const unknown = [...path, UNKNOWN].join('.');
  return [
    ...Object.entries(schema.properties ?? {}).flatMap(([name, property]) =>
      fieldCases(property, base, [...path, name], (schema.required ?? []).includes(name)),
    ),
    { name: `${unknown}: an unknown field`, request: withField(base, [...path, UNKNOWN], 1), breaks: unknown },
  ];
}

/** The field zod names first: the unknown key itself for an unknown field. */
function zodField(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.map(String);
  return (issue.code === 'unrecognized_keys' ? [...path, issue.keys[0]] : path).join('.');
}

function judge(schema: z.ZodType, action: Probe['action'], c: Case): Probe {
  const result = schema.safeParse(c.request);
  const verdict: Probe = result.success
    ? { name: c.name, action, request: c.request, valid: true }
    : { name: c.name, action, request: c.request, valid: false, field: zodField(result.error) };
  if (verdict.valid !== (c.breaks === undefined) || verdict.field !== c.breaks) {
    throw new Error(
      `probe "${c.name}": zod says ${verdict.valid ? 'valid' : `invalid at ${verdict.field}`}, the JSON Schema's limit says ${c.breaks === undefined ? 'valid' : `invalid at ${c.breaks}`}`,
    );
  }
  return verdict;
}

export function requestProbes(): Probe[] {
  const schemas = requestSchemas();
  const submit = seedSubmitRequest();
  const run = seedRunRequest();
  return [
    judge(SUBMIT_REQUEST, 'submit', { name: 'the seed request', request: submit }),
    judge(RUN_REQUEST, 'status', { name: 'a status request', request: run }),
    judge(RUN_REQUEST, 'cancel', { name: 'a cancel request', request: run }),
    ...objectCases(schemas.submit, submit, []).map((c) => judge(SUBMIT_REQUEST, 'submit', c)),
    ...objectCases(schemas.run, run, []).map((c) => judge(RUN_REQUEST, 'status', c)),
  ];
}

/** The file's text: one probe a line. */
export function requestProbesFile(): string {
  return `[\n${requestProbes()
    .map((probe) => `  ${JSON.stringify(probe)}`)
    .join(',\n')}\n]\n`;
}
