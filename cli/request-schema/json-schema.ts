import { z } from 'zod';
import { RUN_REQUEST, SUBMIT_REQUEST } from '../../lib/training/request-schema';

/**
 * cluster/training/request.schema.json: the requests' zod schemas as JSON Schema (zod's z.toJSONSchema), for the
 * cluster's per-field checks. The cluster's validator knows exactly ALLOWED_KEYWORDS and refuses any other, so that a
 * keyword it does not know is never ignored: this file refuses to write one, and refuses a zod check that JSON Schema
 * would drop (a refine), since the cluster would then accept what TypeScript refuses.
 */

export const SCHEMA_FILE = 'cluster/training/request.schema.json';
export const SOURCE_FILE = 'lib/training/request-schema.ts';

export const ALLOWED_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'const',
  'enum',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'anyOf',
  'items',
  'minItems',
  'maxItems',
  'description',
]);
const TYPES = new Set(['object', 'integer', 'number', 'string', 'boolean', 'null', 'array']);

/** A JSON Schema of the allowed keywords: what the probes are made from. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: false;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly pattern?: string;
  readonly anyOf?: readonly JsonSchema[];
  readonly items?: JsonSchema;
  readonly description?: string;
}

/** Throws when a zod schema (or one inside it) has a check JSON Schema cannot carry. */
function assertRepresentable(schema: z.ZodType, where: string): void {
  const def = schema._zod.def as unknown as Record<string, unknown> & {
    checks?: { _zod: { def: { check: string } } }[];
  };
  if ((def.checks ?? []).some((c) => c._zod.def.check === 'custom')) {
    throw new Error(`${where}: a refine, which JSON Schema drops: write the rule in lib/run/rules.ts instead`);
  }
  for (const [key, value] of Object.entries(def)) {
    if (key === 'shape') {
      for (const [name, field] of Object.entries(value as Record<string, z.ZodType>))
        assertRepresentable(field, `${where}.${name}`);
    } else if (value && typeof value === 'object' && '_zod' in value) {
      assertRepresentable(value as z.ZodType, where);
    } else if (Array.isArray(value)) {
      for (const option of value)
        if (option && typeof option === 'object' && '_zod' in option && key !== 'checks')
          assertRepresentable(option, where);
    }
  }
}

/** Throws when the schema uses a keyword or a type the cluster's validator does not know, or allows extra fields. */
function assertAllowed(schema: JsonSchema, where: string): void {
  for (const [keyword, value] of Object.entries(schema)) {
    if (!ALLOWED_KEYWORDS.has(keyword)) throw new Error(`${where}: keyword ${keyword} is not one the cluster knows`);
    if (keyword === 'additionalProperties' && value !== false)
      throw new Error(`${where}: additionalProperties must be false`);
  }
  const types = schema.type === undefined ? [] : typeof schema.type === 'string' ? [schema.type] : schema.type;
  for (const type of types)
    if (!TYPES.has(type)) throw new Error(`${where}: type ${type} is not one the cluster knows`);
  for (const [name, property] of Object.entries(schema.properties ?? {})) assertAllowed(property, `${where}.${name}`);
  for (const [i, option] of (schema.anyOf ?? []).entries()) assertAllowed(option, `${where}(anyOf ${i})`);
  if (schema.items) assertAllowed(schema.items, `${where}[]`);
}

/**
 * zod writes a literal number (z.literal(2), z.literal([1, 2, 4])) as `"type": "number"`, which JSON allows as 2.0;
 * the cluster puts these values in shell arithmetic and integer flags, so integer literals say `"type": "integer"`.
 */
function integerLiterals(schema: JsonSchema): JsonSchema {
  const values = schema.const !== undefined ? [schema.const] : (schema.enum ?? []);
  const integral = schema.type === 'number' && values.length > 0 && values.every((v) => Number.isInteger(v));
  return {
    ...schema,
    ...(integral ? { type: 'integer' } : {}),
    ...(schema.properties
      ? { properties: Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, integerLiterals(v)])) }
      : {}),
    ...(schema.anyOf ? { anyOf: schema.anyOf.map(integerLiterals) } : {}),
    ...(schema.items ? { items: integerLiterals(schema.items) } : {}),
  };
}

function toJsonSchema(schema: z.ZodType, name: string): JsonSchema {
  assertRepresentable(schema, name);
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { unrepresentable: 'throw' }) as Record<
    string,
    unknown
  >;
  assertAllowed(json as JsonSchema, name);
  return integerLiterals(json as JsonSchema);
}

export function requestSchemas() {
  return {
    submit: toJsonSchema(SUBMIT_REQUEST, 'submit'),
    run: toJsonSchema(RUN_REQUEST, 'run'),
  };
}

/** The file's text. */
export function requestSchemaFile(): string {
  const document = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $comment: `generated by npm run request-schema from ${SOURCE_FILE}; do not edit`,
    $defs: requestSchemas(),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
