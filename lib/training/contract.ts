import { z } from 'zod';
import { FSX_MOUNT_DIR } from '../cluster/cluster-config';
import type { ScriptRequest } from './request-schema';

/**
 * The contract between the training Lambda and the head-node script `cpt-run.sh` (cluster/training/): the one command
 * line the head node runs, the request it passes, and the one JSON line the script answers with. Pure (zod only),
 * so that the Lambda bundle, the CLI and the tests share it.
 *
 *   bash /fsx/trainium-cpt/training/<bundle-id>/cpt-run.sh <action> <request>
 *
 * `<request>` is the standard base64, without line breaks, of a UTF-8 JSON object. The command line lives in the
 * stack's own SSM Command document (lib/training/command-document.ts): the folder is fixed there at synth, and the
 * Lambda passes only the document's two parameters, `action` (one of three literals) and `request` (base64), which
 * SSM checks against the document before the head node sees them. Every value of the caller travels inside the
 * base64 blob, after validation.
 */

/** The training function's environment variables: set by its construct, read by its handler. */
export const ENV = {
  /** The stack's SSM Command document (lib/training/command-document.ts), the only one the function may send. */
  documentName: 'TRAINING_DOCUMENT_NAME',
  defaults: 'TRAINING_DEFAULTS',
  headNodeInstanceId: 'HEAD_NODE_INSTANCE_ID',
  datasetsBucket: 'DATASETS_BUCKET',
  checkpointsBucket: 'CHECKPOINTS_BUCKET',
  hfTokenSecretArn: 'HF_TOKEN_SECRET_ARN',
  /** Set only with autoSubmitOnDataReady: the Glue job whose successful runs start training. */
  tokenizeJobName: 'TOKENIZE_JOB_NAME',
} as const;

export const TRAINING_ACTIONS = ['submit', 'status', 'cancel'] as const;
export type TrainingAction = (typeof TRAINING_ACTIONS)[number];

/** 2: the request carries `derived`, the numbers the cluster formats as flags (lib/training/request-schema.ts). */
export const REQUEST_VERSION = 2;
/** Where training bundles live on FSx: one folder per bundle, `<root>/<bundle-id>/cpt-run.sh`. */
export const TRAINING_ROOT = `${FSX_MOUNT_DIR}/trainium-cpt/training`;
export const SCRIPT_NAME = 'cpt-run.sh';
/** A bundle folder: directly under TRAINING_ROOT, a name of safe characters (no space, no quote, no `..`). */
export const BUNDLE_DIR_PATTERN = new RegExp(
  `^${TRAINING_ROOT.replace(/\//g, '\\/')}\\/(?!\\.{1,2}$)[A-Za-z0-9._-]{1,128}$`,
);
/** Every command line the document can run matches this (the tests hold it to that). */
export const COMMAND_PATTERN =
  /^bash \/fsx\/trainium-cpt\/training\/[^ ]+\/cpt-run\.sh (submit|status|cancel) [A-Za-z0-9+/=]+$/;

/**
 * The head node's systemd service that builds the Neuron environment (lib/cluster/neuron-environment.ts): cpt/neuron.py
 * names it in its errors (NEURON_SERVICE), the CLI in what it prints.
 */
export const NEURON_ENVIRONMENT_SERVICE = 'trainium-cpt-neuron-environment';

/** The stages of a run, in order: one Slurm job each, chained by dependencies. */
export const STAGES = ['prepare', 'compile', 'train', 'export', 'evaluate'] as const;
export type Stage = (typeof STAGES)[number];

/** Slurm time limits (sbatch --time) are whole minutes from 1 to this: 30 days. */
export const MAX_TIME_LIMIT_MINUTES = 43_200;

/** The Slurm time limit of each stage's job, in whole minutes (1 to MAX_TIME_LIMIT_MINUTES), in STAGES order. */
export type StageTimeLimits = { readonly [S in Stage]: number };

/** The requests' schemas: lib/training/request-schema.ts. */
export type { RunRequest, ScriptRequest, SubmitRequest } from './request-schema';

/** The request as the script receives it: standard base64 of its UTF-8 JSON, on one line. */
export function encodeRequest(request: ScriptRequest): string {
  return Buffer.from(JSON.stringify(request), 'utf8').toString('base64');
}

/**
 * The command line the head node runs, written once: the SSM document renders it with its parameters' placeholders
 * (`{{ action }}`, `{{ request }}`), scriptCommand with the values of one call.
 */
export function scriptCommandLine(bundleDir: string, action: string, request: string): string {
  return `bash ${bundleDir}/${SCRIPT_NAME} ${action} ${request}`;
}

/**
 * The command line the document runs for one call (the demo's chain preview prints and runs it). Refuses a bundle
 * folder or an action outside the contract, and checks the result against COMMAND_PATTERN.
 */
/** Refuses an action outside the contract, whatever the caller's types said. */
export function assertAction(action: TrainingAction): void {
  if (!TRAINING_ACTIONS.includes(action))
    throw new Error(`action ${JSON.stringify(action)} is not one of ${TRAINING_ACTIONS.join(', ')}`);
}

export function scriptCommand(bundleDir: string, action: TrainingAction, request: ScriptRequest): string {
  if (!BUNDLE_DIR_PATTERN.test(bundleDir)) {
    throw new Error(
      `training bundle folder ${JSON.stringify(bundleDir)} is not a folder directly under ${TRAINING_ROOT}/`,
    );
  }
  assertAction(action);
  const command = scriptCommandLine(bundleDir, action, encodeRequest(request));
  if (!COMMAND_PATTERN.test(command)) throw new Error('internal error: the command does not match the contract');
  return command;
}

/** Slurm job IDs: the script may print them as strings or numbers; they are kept as strings. */
const jobId = z.union([z.string().min(1), z.number().int().nonnegative()]).transform(String);

/**
 * The Neuron Python environment of a run's release, as cpt-run.sh reads it from node-setup.sh's record on FSx: the
 * environment is built after the cluster is created, and a chain submitted before it is ready waits for it.
 *   ready        in place: chains start at once;
 *   building     `step` began at `since` (the build at `started`): a chain is submitted with its first job held;
 *   not-started  no build recorded yet: held too;
 *   failed       `step` failed with `exitCode` at `since` (or `message` says what is wrong): chains are refused.
 */
export const NEURON_ENVIRONMENT_STATES = ['ready', 'building', 'not-started', 'failed'] as const;
const optionalText = z
  .string()
  .nullish()
  .transform((t) => t ?? undefined);
export const NEURON_ENVIRONMENT = z.looseObject({
  release: z.string(),
  state: z.enum(NEURON_ENVIRONMENT_STATES),
  step: optionalText,
  since: optionalText,
  started: optionalText,
  /** The build's log, on the head node. */
  log: optionalText,
  exitCode: z
    .number()
    .int()
    .nullish()
    .transform((c) => c ?? undefined),
  message: optionalText,
  /** The head node's systemd service that builds it. */
  service: optionalText,
});
export type NeuronEnvironmentState = z.infer<typeof NEURON_ENVIRONMENT>;

/** What a held job waits for: `neuron-<release>`, the Neuron environment of that release. */
const waitsFor = z.string().regex(/^neuron-\d+\.\d+\.\d+$/);

/**
 * The train job's restarts: `count` of at most `max` (the request's maxTrainRestarts), and one entry per failed
 * attempt: its exit code (null when Slurm recorded none, as after a node failure), why, the nodes drained, and when.
 */
export const TRAIN_RESTARTS = z.looseObject({
  count: z.number().int().nonnegative(),
  max: z.number().int().nonnegative(),
  history: z.array(
    z.looseObject({
      attempt: z.number().int().positive(),
      jobId,
      exitCode: z.number().int().nullable(),
      reason: z.string(),
      drainedNodes: z.array(z.string()),
      time: z.string(),
    }),
  ),
});
export type TrainRestarts = z.infer<typeof TRAIN_RESTARTS>;

/** The script's answers. Extra fields are allowed (and passed on): the script may say more than the contract. */
export const SCRIPT_RESULTS = {
  submit: z.looseObject({
    run: z.string(),
    created: z.boolean(),
    jobs: z.looseObject(Object.fromEntries(STAGES.map((s) => [s, jobId])) as Record<Stage, typeof jobId>),
    runDir: z.string(),
    neuronEnvironment: NEURON_ENVIRONMENT.optional(),
    /** Present while the chain's first job is held until the Neuron environment is ready. */
    heldJob: z.looseObject({ stage: z.enum(STAGES), id: jobId, waitsFor }).optional(),
    /** True when this chain continues the run (a resume request that found something to continue). */
    resumed: z.boolean().optional(),
    /** The newest completed checkpoint training resumes from ("step_1500"), or null: from the base model. */
    resumeFrom: z.string().nullable().optional(),
    /** Why nothing was submitted for a run submitted before: its chain completed, or ended and awaits a resume. */
    message: z.string().optional(),
  }),
  status: z.looseObject({
    run: z.string(),
    jobs: z.record(
      z.string(),
      z.looseObject({
        id: jobId,
        state: z.string(),
        reason: z
          .string()
          .nullish()
          .transform((r) => r ?? ''),
        /** Set on the first job while it is held for the Neuron environment. */
        waitsFor: waitsFor.optional(),
      }),
    ),
    neuronEnvironment: NEURON_ENVIRONMENT.optional(),
    /** The train job's restarts after failures, when it has run. */
    restarts: TRAIN_RESTARTS.optional(),
  }),
  cancel: z.looseObject({ run: z.string(), cancelled: z.array(jobId) }),
} as const;

export type SubmitResult = z.infer<typeof SCRIPT_RESULTS.submit>;
export type StatusResult = z.infer<typeof SCRIPT_RESULTS.status>;
export type CancelResult = z.infer<typeof SCRIPT_RESULTS.cancel>;

export const SCRIPT_ERROR = z.looseObject({ error: z.string() });
