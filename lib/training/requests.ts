import { z } from 'zod';
import { FIELDS } from '../config/fields';
import { TENSOR_PARALLEL_DEGREES } from '../run/hardware';
import { CHECKPOINT_COUNT_FACTOR } from './bounds';
import { REQUEST_FIELDS } from './request-schema';

/**
 * What the training Lambda accepts: its events, the per-run overrides, and the defaults the stack gives it. Every
 * rule of a configuration key is the configuration's own (lib/config/fields.ts), with the same words in errors.
 * Pure (zod only): the Lambda bundle, the CLI and the tests share it.
 */

/** A request that cannot be served as asked: nothing was sent to the cluster. Lists every problem. */
export class InvalidRequestError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid training request:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidRequest';
  }
}

export const RUN_NAME_ACCEPTED = '1 to 63 lowercase letters, digits and hyphens, starting with a letter or digit';
const runName = REQUEST_FIELDS.run;

/** Glue job run IDs: `jr_` and hex digits, with `_attempt_<n>` for a retried attempt. */
const JOB_RUN_ID = /^jr_[0-9a-f]{1,128}(_attempt_[0-9]{1,3})?$/;

interface Rule {
  readonly schema: z.ZodType;
  readonly accepted: string;
}

/** As a number first, so that "8" is "not a number" rather than "not accepted". */
const tensorParallel = FIELDS.tensorParallelDegree.schema.refine((d) => TENSOR_PARALLEL_DEGREES.includes(d));

/**
 * The settings a submission may override, keyed as in the script's request. Cross-key rules (the data-parallel
 * batch split, the warm-up within the run: lib/run/rules.ts; the queue's size) are checked in plan.ts, the upper
 * bounds that the deployed configuration sets in bounds.ts.
 */
export const OVERRIDE_RULES = {
  nodes: {
    schema: FIELDS.nodeCount.schema,
    accepted: `${FIELDS.nodeCount.accepted}, at most nodeCount (the queue's size)`,
  },
  tensorParallel: { schema: tensorParallel, accepted: FIELDS.tensorParallelDegree.accepted },
  globalBatch: {
    schema: FIELDS.globalBatchSize.schema,
    accepted: `${FIELDS.globalBatchSize.accepted}, at most globalBatchSize (the deployed configuration's)`,
  },
  microBatch: FIELDS.microBatchSize,
  learningRate: FIELDS.learningRate,
  minLearningRate: {
    schema: REQUEST_FIELDS.minLearningRate,
    accepted: 'a number from 0, below the learning rate (default: the learning rate ÷ 10)',
  },
  warmupSteps: { schema: FIELDS.warmupSteps.schema, accepted: `${FIELDS.warmupSteps.accepted}, below the run's steps` },
  epochs: { schema: FIELDS.epochs.schema, accepted: "a number above 0, at most epochs (the deployed configuration's)" },
  steps: {
    schema: REQUEST_FIELDS.steps,
    accepted:
      "an integer of at least 1: the optimizer steps of the run, instead of those of the epochs; at most the steps of the deployed configuration's epochs over the training set",
  },
  checkpointEvery: {
    schema: FIELDS.checkpointEverySteps.schema,
    accepted:
      'an integer of at least 2, so that the compile stage (steps below it) writes none; ' +
      `large enough that the run saves at most ${CHECKPOINT_COUNT_FACTOR} × the checkpoints of the configured run (or checkpointsKept)`,
  },
  checkpointsKept: {
    schema: FIELDS.checkpointsKept.schema,
    accepted: "an integer from 1 to checkpointsKept (the deployed configuration's: FSx is sized for it)",
  },
} as const satisfies Record<string, Rule>;

export type OverrideKey = keyof typeof OVERRIDE_RULES;
export const OVERRIDE_KEYS = Object.keys(OVERRIDE_RULES) as OverrideKey[];

type OverrideShape = { [K in OverrideKey]: z.ZodOptional<(typeof OVERRIDE_RULES)[K]['schema']> };
const overridesSchema = z.strictObject(
  Object.fromEntries(OVERRIDE_KEYS.map((key) => [key, OVERRIDE_RULES[key].schema.optional()])) as OverrideShape,
);
export type Overrides = { -readonly [K in OverrideKey]?: number };

/** The events the Lambda serves: one of these objects, and nothing else in them. */
const EVENT_SCHEMAS = {
  /** `resume: true` continues the run (its newest checkpoint); it keeps the run's settings, so it takes no overrides. */
  submit: z.strictObject({
    action: z.literal('submit'),
    run: runName,
    overrides: overridesSchema.optional(),
    resume: z.boolean().optional(),
  }),
  status: z.strictObject({ action: z.literal('status'), run: runName }),
  cancel: z.strictObject({ action: z.literal('cancel'), run: runName }),
  /** From the EventBridge rule on the tokenization job: its run succeeded; `--run` is read from Glue. */
  'data-ready': z.strictObject({ action: z.literal('data-ready'), jobRunId: z.string().regex(JOB_RUN_ID) }),
} as const;

export type EventAction = keyof typeof EVENT_SCHEMAS;
export const EVENT_ACTIONS = Object.keys(EVENT_SCHEMAS) as EventAction[];

export type SubmitEvent = { action: 'submit'; run: string; overrides?: Overrides; resume?: boolean };
export type TrainingEvent =
  | SubmitEvent
  | { action: 'status'; run: string }
  | { action: 'cancel'; run: string }
  | { action: 'data-ready'; jobRunId: string };

/** What is accepted at each place of an event, for errors. */
function acceptedAt(path: readonly PropertyKey[]): string {
  const [first, second] = path.map(String);
  if (first === 'action') return EVENT_ACTIONS.join(' | ');
  if (first === 'run') return RUN_NAME_ACCEPTED;
  if (first === 'jobRunId') return 'a Glue job run ID (jr_ and hexadecimal digits)';
  if (first === 'resume') return 'true (continue the run from its newest checkpoint, with its settings) or false';
  if (first === 'overrides' && second === undefined) return `an object of ${OVERRIDE_KEYS.join(', ')}`;
  if (first === 'overrides' && second in OVERRIDE_RULES) return OVERRIDE_RULES[second as OverrideKey].accepted;
  return 'see the training Lambda documentation';
}

/** Validates an event; throws an InvalidRequestError naming each field, its value and what is accepted. */
export function parseEvent(event: unknown): TrainingEvent {
  if (!isPlainObject(event)) {
    throw new InvalidRequestError([
      `the event = ${show(event)}: not a plain object. Accepted: an object with "action" (${EVENT_ACTIONS.join(' | ')})`,
    ]);
  }
  const overrides = (event as Record<string, unknown>).overrides;
  if (typeof overrides === 'object' && overrides !== null && !Array.isArray(overrides) && !isPlainObject(overrides)) {
    throw new InvalidRequestError([
      `overrides = ${show(overrides)}: not a plain object. Accepted: ${acceptedAt(['overrides'])}`,
    ]);
  }
  const action = (event as Record<string, unknown>).action;
  if (typeof action !== 'string' || !Object.prototype.hasOwnProperty.call(EVENT_SCHEMAS, action)) {
    throw new InvalidRequestError([`action = ${show(action)}: not an action. Accepted: ${EVENT_ACTIONS.join(' | ')}`]);
  }
  const result = EVENT_SCHEMAS[action as EventAction].safeParse(event);
  if (!result.success) throw new InvalidRequestError(describeIssues(result.error.issues, event, acceptedAt));
  const parsed = result.data as TrainingEvent;
  if (parsed.action === 'submit' && parsed.resume === true) {
    const given = OVERRIDE_KEYS.filter((key) => parsed.overrides?.[key] !== undefined);
    if (given.length > 0) {
      throw new InvalidRequestError([
        `resume = true and overrides (${given.join(', ')}): a resumed run keeps the settings it was first submitted with. ` +
          'Accepted: resume alone, or overrides without resume',
      ]);
    }
  }
  return parsed;
}

/**
 * An object as JSON.parse makes them: its fields are its own. An object that inherits fields from another (not from
 * Object.prototype) is refused: validation would read inherited values.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The configuration a submission starts from: set by the stack (env TRAINING_DEFAULTS) from the config. Its values
 * are also the upper bounds of the overrides (lib/training/bounds.ts).
 */
export const TRAINING_DEFAULTS_SCHEMA = z
  .strictObject({
    nodes: FIELDS.nodeCount.schema,
    tensorParallel,
    sequenceLength: FIELDS.sequenceLength.schema,
    globalBatch: FIELDS.globalBatchSize.schema,
    microBatch: FIELDS.microBatchSize.schema,
    learningRate: FIELDS.learningRate.schema,
    warmupSteps: FIELDS.warmupSteps.schema,
    epochs: FIELDS.epochs.schema,
    checkpointEvery: FIELDS.checkpointEverySteps.schema,
    checkpointsKept: FIELDS.checkpointsKept.schema,
    compileSteps: REQUEST_FIELDS.compileSteps,
    baseModel: FIELDS.baseModelId.schema,
    neuronRelease: FIELDS.neuronSdkVersion.schema,
    partition: REQUEST_FIELDS.partition,
    maxTrainRestarts: FIELDS.maxTrainRestarts.schema,
    // What the stages' time limits rest on (lib/plan/time-limits.ts), besides the run's settings.
    measuredTokensPerSecondPerNode: FIELDS.measuredTokensPerSecondPerNode.schema,
    fsxThroughputPerTiB: FIELDS.fsxThroughputPerTiB.schema,
    fsxStorageGiB: FIELDS.fsxStorageGiB.schema,
    // With capacity-block, a submission sets the request's stopBy from the block's end (lib/training/capacity-block.ts).
    capacityType: FIELDS.capacityType.schema,
    capacityReservationId: FIELDS.capacityReservationId.schema,
  })
  .refine((d) => d.capacityType !== 'capacity-block' || d.capacityReservationId !== undefined, {
    path: ['capacityReservationId'],
    message: 'is unset while capacityType is capacity-block',
  });
export type TrainingDefaults = z.infer<typeof TRAINING_DEFAULTS_SCHEMA>;

/** One line per issue: where, the value found there, why, and what is accepted. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  accepted: (path: readonly PropertyKey[]) => string,
): string[] {
  return issues.map((issue) => {
    const path = issue.path;
    if (issue.code === 'unrecognized_keys') {
      const where = path.length > 0 ? `${path.map(String).join('.')}: ` : '';
      const allowed = path[path.length - 1] === 'overrides' ? OVERRIDE_KEYS : allowedKeysOf(input);
      return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => show(k)).join(', ')}. Accepted: ${allowed.join(', ')}`;
    }
    const value = valueAt(input, path);
    const why =
      value === undefined
        ? 'missing'
        : issue.code === 'invalid_type'
          ? `not ${article(issue.expected)}`
          : 'not accepted';
    return `${path.map(String).join('.')} = ${value === undefined ? '(none)' : show(value)}: ${why}. Accepted: ${accepted(path)}`;
  });
}

function allowedKeysOf(input: unknown): string[] {
  const action = (input as Record<string, unknown>)?.action;
  const schema = typeof action === 'string' ? EVENT_SCHEMAS[action as EventAction] : undefined;
  return schema ? Object.keys(schema.shape) : ['action'];
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The value at a path, through own properties only (never a prototype's). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.prototype.hasOwnProperty.call(value, key))
      return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const SHOWN_CHARACTERS = 80;

/** A value for a message: JSON (so quotes, newlines and NUL show as escapes), cut short, objects by their kind. */
export function show(value: unknown): string {
  if (value === undefined) return '(none)';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  // Escapes beyond JSON's: no control, bidirectional or other non-ASCII character reaches a terminal or a log as is.
  const text = (JSON.stringify(value) ?? String(value)).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return text.length <= SHOWN_CHARACTERS ? text : `${text.slice(0, SHOWN_CHARACTERS)}… (${text.length} characters)`;
}
