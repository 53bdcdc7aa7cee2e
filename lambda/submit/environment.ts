import { z } from 'zod';
import { ENV } from '../../lib/training/contract';
import { TRAINING_DEFAULTS_SCHEMA, TrainingDefaults } from '../../lib/training/requests';

/*
 * The training Lambda's environment: what the stack tells it (the names, ENV, are the contract's). Checked on every
 * invocation, so that a bad deployment fails with the variable's name rather than a wrong command.
 */

/** The function's settings are wrong (a deployment problem, not the caller's). */
export class ConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `The training function is misconfigured (redeploy the training stack):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigurationError';
  }
}

export interface TrainingEnvironment {
  /** The stack's Command document: the only one the function sends (and may send). */
  readonly documentName: string;
  readonly defaults: TrainingDefaults;
  readonly headNodeInstanceId: string;
  readonly datasetsBucket: string;
  readonly checkpointsBucket: string;
  readonly hfTokenSecretArn: string;
  readonly tokenizeJobName?: string;
}

const BUCKET = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
const RULES: Record<Exclude<keyof TrainingEnvironment, 'defaults'>, z.ZodType<string | undefined>> = {
  // SSM's rule for document names, without the prefixes SSM keeps for AWS's own documents (AWS-RunShellScript...).
  documentName: z.string().regex(/^(?!(aws|amazon|amzn))[A-Za-z0-9_.-]{3,128}$/i),
  headNodeInstanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/),
  datasetsBucket: BUCKET,
  checkpointsBucket: BUCKET,
  hfTokenSecretArn: z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/),
  tokenizeJobName: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/)
    .optional(),
};

export function readEnvironment(env: NodeJS.ProcessEnv): TrainingEnvironment {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(RULES)) {
    const name = ENV[key as keyof typeof ENV];
    const value = env[name] === '' ? undefined : env[name];
    if (rule.safeParse(value).success) values[key] = value;
    else problems.push(`${name} = ${JSON.stringify(value ?? null)}: not valid`);
  }
  try {
    const parsed = TRAINING_DEFAULTS_SCHEMA.safeParse(JSON.parse(env[ENV.defaults] ?? ''));
    if (parsed.success) values.defaults = parsed.data;
    else
      problems.push(
        `${ENV.defaults}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
      );
  } catch {
    problems.push(`${ENV.defaults}: not JSON`);
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return values as unknown as TrainingEnvironment;
}
