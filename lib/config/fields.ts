import { z } from 'zod';
import { CAPACITY_TYPES } from './capacity';
import {
  describeTensorParallelDegrees,
  LLAMA2_ATTENTION_HEADS,
  LLAMA2_MAX_SEQUENCE_LENGTH,
  NEURON_CORES_PER_NODE,
} from '../run/hardware';

/**
 * Every configuration key of the app, each with its type, what it is for and what it accepts.
 * The README's configuration reference is generated from this table (and a test keeps the two in sync);
 * the defaults live in `cdk.json` under the context key `trainium-cpt`.
 */

/** The most times a train job requeues itself after a failure (maxTrainRestarts; the request's field of that name). */
export const MAX_TRAIN_RESTARTS = 10;
/** The widest range SSH may be opened to without sshAllowWideCidr: a /16, 65,536 addresses. */
export const NARROWEST_SSH_PREFIX_BY_DEFAULT = 16;
/** Neuron 2.29 ended support for NxD Core training and PyTorch/XLA training: 2.28 is the last release that trains. */
export const LAST_TRAINING_NEURON_MINOR = 28;
/** The ParallelCluster CloudFormation custom resource exists since 3.6.0. */
export const MIN_PARALLELCLUSTER_MINOR = 6;

export const TRAINIUM_INSTANCE_TYPES = ['trn1.32xlarge', 'trn1n.32xlarge'] as const;
export const GLUE_WORKER_TYPES = ['G.1X', 'G.2X', 'G.4X', 'G.8X'] as const;
export const CORPUS_FORMATS = ['jsonl', 'parquet'] as const;

export interface FieldDoc {
  /** What the key does, for the configuration reference. */
  readonly description: string;
  /** What values are accepted, in words: shown in errors and in the reference. */
  readonly accepted: string;
}

export interface Field<T extends z.ZodType = z.ZodType> extends FieldDoc {
  readonly schema: T;
}

function field<T extends z.ZodType>(schema: T, doc: FieldDoc): Field<T> {
  return { schema, ...doc };
}

const s3Prefix = z
  .string()
  .regex(/^(?!\/)(?!s3:\/\/)[A-Za-z0-9!_.*'()/-]*$/)
  .refine((v) => v === '' || v.endsWith('/'));

const cidrV4 = z.string().refine(isIpv4Cidr);

export function isIpv4Cidr(value: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  return octets.every((o) => o <= 255) && prefix <= 32;
}

export const FIELDS = {
  projectName: field(z.string().regex(/^[a-z][a-z0-9-]{0,22}[a-z0-9]$/), {
    description: 'Prefix of every stack name and of the names the app gives to resources.',
    accepted:
      'lowercase letters, digits and hyphens, 2 to 24 characters, starting with a letter, not ending with a hyphen',
  }),
  region: field(
    z
      .string()
      .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/)
      .optional(),
    {
      description:
        'AWS Region to deploy to. Unset, the stacks are environment-agnostic and `cdk deploy` uses the Region of your AWS profile.',
      accepted: 'a Region code such as us-east-1, or unset',
    },
  ),
  trainiumAz: field(z.union([z.literal('auto'), z.string().regex(/^[a-z]+[0-9]+-az[0-9]+$/)]), {
    description:
      'Availability Zone of the cluster, as a zone ID. `auto` lets a custom resource pick, at deploy time, a zone of the Region that offers the instance type; an explicit ID is checked the same way before anything is created in it.',
    accepted: '`auto` or an AZ ID such as use1-az6 (IDs, not names: names differ between accounts)',
  }),
  instanceType: field(z.enum(TRAINIUM_INSTANCE_TYPES), {
    description: 'Trainium instance type of the compute nodes (trn1n has twice the EFA bandwidth of trn1).',
    accepted: TRAINIUM_INSTANCE_TYPES.join(' | '),
  }),
  capacityType: field(z.enum(CAPACITY_TYPES), {
    description:
      "How the Trainium nodes are bought. `on-demand`: launched when a run needs them, given back after 10 idle minutes. `reservation`: an On-Demand Capacity Reservation of yours (capacityReservationId), its zone the cluster's. `capacity-block`: an EC2 Capacity Block for ML (capacityReservationId): nodeCount static nodes, no placement group, and training stops at a checkpoint before the block ends. `spot`: Spot Instances (a reclaimed node restarts the run from its newest checkpoint).",
    accepted: CAPACITY_TYPES.join(' | '),
  }),
  capacityReservationId: field(
    z
      .string()
      .regex(/^cr-[0-9a-f]{17}$/)
      .optional(),
    {
      description:
        "ID of the capacity reservation the nodes run in: the Capacity Block's or the On-Demand Capacity Reservation's. Its Availability Zone becomes the cluster's.",
      accepted: 'cr- and 17 hexadecimal digits; set exactly when capacityType is reservation or capacity-block',
    },
  ),
  reservationPlacementGroup: field(
    z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,255}$/)
      .optional(),
    {
      description:
        "Name of the cluster placement group your On-Demand Capacity Reservation was made in (capacityType reservation): the queue launches into it, as EC2 launches into such a reservation only from inside its group. Unset, the queue uses no placement group, as suits a reservation made in none. The deployment checks it against the reservation's group and fails on any difference; ParallelCluster 3.16.1 alone would error only on a group other than the reservation's, and only warn about a group given with an open or targeted reservation (PlacementGroupCapacityReservationValidator).",
      accepted: 'a placement group name, or unset; only with capacityType reservation',
    },
  ),
  capacityPricePerNodeHour: field(z.number().gt(0).optional(), {
    description:
      "What one node-hour costs you under capacityType, in USD: a Capacity Block's price per instance-hour, the Spot price you expect, your reservation's rate. Unset, the plan uses the on-demand list price and says so.",
    accepted: 'a number above 0, or unset',
  }),
  nodeCount: field(z.number().int().min(1), {
    description:
      "Number of Trainium nodes a training run uses (the Slurm queue scales from 0 to this; a Capacity Block's nodes are all static).",
    accepted: 'an integer of at least 1',
  }),
  headNodeInstanceType: field(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/), {
    description: 'EC2 instance type of the Slurm head node.',
    accepted: 'an EC2 instance type such as c5.4xlarge',
  }),
  parallelClusterVersion: field(z.string().regex(/^3\.\d+\.\d+$/), {
    description: 'AWS ParallelCluster version of the custom resource provider and of the cluster.',
    accepted: `3.x.y with x of at least ${MIN_PARALLELCLUSTER_MINOR} (the CloudFormation custom resource exists since 3.6.0)`,
  }),
  neuronSdkVersion: field(z.string().regex(/^2\.[0-9]+\.[0-9]+$/), {
    description:
      'Neuron SDK release installed on the nodes; driver, runtime, compiler, torch-neuronx and neuronx-distributed follow it.',
    accepted: `2.x.y with x at most ${LAST_TRAINING_NEURON_MINOR} (Neuron 2.29 ended support for NxD Core training)`,
  }),
  baseModelId: field(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/), {
    description: 'Hugging Face model ID of the base checkpoint that training starts from.',
    accepted: 'an `owner/name` model ID',
  }),
  domainCorpusPrefix: field(
    s3Prefix.refine((v) => v !== ''),
    {
      description: 'Key prefix, in the raw-data bucket, of the domain corpus (JSON Lines or Parquet files).',
      accepted: 'a non-empty S3 key prefix ending with `/`, without `s3://` or a leading `/`',
    },
  ),
  generalCorpusPrefix: field(s3Prefix, {
    description: 'Key prefix, in the raw-data bucket, of the general corpus mixed in; empty for none.',
    accepted: 'an S3 key prefix ending with `/`, or empty',
  }),
  tokenizerS3Key: field(
    z
      .string()
      .regex(/^(?!\/)[A-Za-z0-9!_.*'()/-]*tokenizer\.json$/)
      .optional(),
    {
      description:
        'Key, in the raw-data bucket, of a Hugging Face `tokenizer.json` to tokenize with. Unset, the job downloads the tokenizer of baseModelId from Hugging Face with the token in the Hugging Face secret.',
      accepted: 'an S3 key ending with tokenizer.json, or unset',
    },
  ),
  hfTokenSecretName: field(
    z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/)
      .optional(),
    {
      description:
        'Name of an existing Secrets Manager secret that holds your Hugging Face token. Unset, the app creates one for you to fill.',
      accepted: 'a Secrets Manager secret name, or unset',
    },
  ),
  corpusFormat: field(z.enum(CORPUS_FORMATS), {
    description: 'File format of both corpora.',
    accepted: CORPUS_FORMATS.join(' | '),
  }),
  textField: field(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), {
    description: 'Name of the field (JSON Lines) or column (Parquet) that holds each document’s text.',
    accepted: 'an identifier: letters, digits and underscores, not starting with a digit',
  }),
  sequenceLength: field(z.number().int().min(1).max(LLAMA2_MAX_SEQUENCE_LENGTH), {
    description: 'Tokens per training row; the data is packed into rows of exactly this length.',
    accepted: `an integer from 1 to ${LLAMA2_MAX_SEQUENCE_LENGTH} (Llama 2's context), divisible by tensorParallelDegree`,
  }),
  generalDataShare: field(z.number().min(0).lt(1), {
    description: 'Share of training tokens taken from the general corpus, to limit forgetting.',
    accepted: 'a number from 0 (no mixing) up to, not including, 1',
  }),
  heldOutShare: field(z.number().gt(0).max(0.2), {
    description: 'Share of documents of each corpus held out as evaluation sets (never trained on).',
    accepted: 'a number above 0 and at most 0.2',
  }),
  shuffleSeed: field(
    z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
    {
      description: 'Seed of the held-out split and of the shuffle of training rows (the data loader does not shuffle).',
      accepted: 'an integer from 0 to 2147483647',
    },
  ),
  glueWorkerType: field(z.enum(GLUE_WORKER_TYPES), {
    description: 'Glue worker type of the tokenization job.',
    accepted: GLUE_WORKER_TYPES.join(' | '),
  }),
  glueWorkerCount: field(z.number().int().min(2).max(1000), {
    description: 'Number of Glue workers of the tokenization job.',
    accepted: 'an integer from 2 to 1000',
  }),
  glueTimeoutMinutes: field(z.number().int().min(10).max(10080), {
    description: 'Time after which the tokenization job is stopped.',
    accepted: 'an integer from 10 to 10080 (7 days)',
  }),
  addEos: field(z.boolean(), {
    description: 'Append the end-of-sequence token after each document (the Llama 2 reference adds only BOS).',
    accepted: 'true | false',
  }),
  tensorParallelDegree: field(z.number().int().min(1), {
    description: 'Tensor-parallel degree: NeuronCores that share one copy of the model.',
    accepted: `a divisor of the ${NEURON_CORES_PER_NODE} NeuronCores of a node (and of the ${LLAMA2_ATTENTION_HEADS} attention heads): ${describeTensorParallelDegrees()}`,
  }),
  globalBatchSize: field(z.number().int().min(1), {
    description: 'Sequences per optimizer step, over all nodes.',
    accepted: 'a positive multiple of the data-parallel degree × microBatchSize',
  }),
  microBatchSize: field(z.number().int().min(1).max(8), {
    description: 'Sequences per NeuronCore per forward pass.',
    accepted: 'an integer from 1 to 8',
  }),
  learningRate: field(z.number().gt(0).max(1e-2), {
    description: 'Peak learning rate after warm-up.',
    accepted: 'a number above 0 and at most 0.01',
  }),
  warmupSteps: field(z.number().int().min(0), {
    description: 'Optimizer steps of linear warm-up before the decay.',
    accepted: 'an integer of at least 0',
  }),
  epochs: field(z.number().gt(0).max(100), {
    description: 'Passes over the training set; fractions are allowed.',
    accepted: 'a number above 0 and at most 100',
  }),
  checkpointEverySteps: field(z.number().int().min(1), {
    description: 'Optimizer steps between two checkpoints.',
    accepted: 'an integer of at least 1',
  }),
  checkpointSaveMinutes: field(z.number().gt(0).max(60), {
    description:
      'Longest a checkpoint save may stall training: the plan gives the FSx throughput that keeps each save within it, and warns when fsxStorageGiB × fsxThroughputPerTiB is below.',
    accepted: 'a number above 0 and at most 60',
  }),
  checkpointsKept: field(z.number().int().min(1), {
    description: 'Newest checkpoints kept on FSx (all of them reach S3).',
    accepted: 'an integer of at least 1',
  }),
  maxTrainRestarts: field(z.number().int().min(0).max(MAX_TRAIN_RESTARTS), {
    description:
      'Times a failed train job requeues itself. A train job that fails for any reason but a bad request requeues itself from its newest checkpoint, up to this many times, draining the nodes that fail their checks (after a failed training they run again: healthy nodes stay) so that ParallelCluster replaces them; then the chain fails with the reason. `npm run status` shows the restarts.',
    accepted: `an integer from 0 (never requeue) to ${MAX_TRAIN_RESTARTS}`,
  }),
  fsxStorageGiB: field(z.number().int().min(1200), {
    description: 'Capacity of the FSx for Lustre file system (PERSISTENT_2).',
    accepted: '1200, or a multiple of 2400',
  }),
  fsxThroughputPerTiB: field(z.union([z.literal(125), z.literal(250), z.literal(500), z.literal(1000)]), {
    description: 'Throughput of FSx for Lustre per TiB of storage, in MB/s (PERSISTENT_2).',
    accepted: '125 | 250 | 500 | 1000',
  }),
  vpcCidr: field(cidrV4, {
    description: 'IPv4 range of the VPC; the private subnet takes a /20 of it, the public subnet a /24.',
    accepted: 'an IPv4 CIDR block with a prefix from /16 to /20',
  }),
  sshKeyName: field(z.string().min(1).max(255).optional(), {
    description: 'EC2 key pair for SSH to the head node. Unset, you connect with SSM Session Manager only.',
    accepted: 'an EC2 key pair name, or unset; needs sshAllowedCidr',
  }),
  sshAllowedCidr: field(cidrV4.optional(), {
    description: 'The only IPv4 range from which SSH to the head node is allowed.',
    accepted: `an IPv4 CIDR block of /${NARROWEST_SSH_PREFIX_BY_DEFAULT} or narrower (wider only with sshAllowWideCidr, never /0), or unset; needs sshKeyName`,
  }),
  sshAllowWideCidr: field(z.boolean(), {
    description:
      'Allow an sshAllowedCidr wider than /16 (up to /1): say so explicitly before opening SSH to more than 65,536 addresses.',
    accepted: 'true | false',
  }),
  notificationEmail: field(z.email().optional(), {
    description: 'E-mail address that receives alarms and budget alerts.',
    accepted: 'an e-mail address, or unset',
  }),
  plannedTrainTokens: field(z.number().int().min(1), {
    description:
      "Tokens of the training set (one epoch) that the plan and the cost budgets (the run budget's limit, the S3 share of the daily one) assume until a manifest gives the real count (`npm run plan -- --manifest FILE`).",
    accepted: 'a positive integer (88000000000 is the seed run: PubMed, 88 billion tokens)',
  }),
  measuredTokensPerSecondPerNode: field(z.number().gt(0).optional(), {
    description:
      "Training throughput you measured, in tokens per second per node. Unset, the plan uses Neuron's published Llama 2 7B figures.",
    accepted: 'a number above 0, or unset',
  }),
  budgetMarginPercent: field(z.number().int().min(0).max(1000), {
    description:
      "Margin of both cost budgets: the daily one alerts on a day that costs more than the plan's day of training (every Trainium node for 24 hours, with the head node, FSx, NAT gateway and S3) plus this margin, the run one (calendar year) when the project's costs pass the plan's conservative run cost plus this margin (and at 80% of that).",
    accepted: 'an integer from 0 to 1000',
  }),
  stallAlarmMinutes: field(z.number().int().min(10).max(1440).optional(), {
    description:
      "A running training job that logs no new step for this long raises the stalled-training alarm. Unset, the plan derives it: the longer of the time between two step lines with a checkpoint save in it and the time from a (re)start to the first step line (a launch, loading a checkpoint, one window), at the plan's slower throughput and the FSx throughput, plus 2 minutes of margin (`npm run plan` prints it; 13 minutes for the seed run).",
    accepted:
      'an integer from 10 to 1440 (a day), or unset to derive it from the plan; first steps after a start or a resume take longest',
  }),
  autoSubmitOnDataReady: field(z.boolean(), {
    description: 'Submit training automatically when the tokenization job succeeds.',
    accepted: 'true | false',
  }),
} satisfies Record<string, Field>;

export type ConfigKey = keyof typeof FIELDS;
export const CONFIG_KEYS = Object.keys(FIELDS) as ConfigKey[];
