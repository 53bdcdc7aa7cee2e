/**
 * Resolves CloudFormation intrinsics of synthesized templates to plain strings, as a deployment in one account and
 * Region would, so that tests can check ARNs against IAM rules. Resolves: pseudo parameters, Ref and Fn::GetAtt of
 * the templates' own resources (names as CloudFormation would generate them: `<stack>-<LogicalId>-<suffix>`),
 * Fn::Join, Fn::Sub, Fn::Select, Fn::Split, and Fn::GetStackOutput to the producing stack's output. Anything else
 * throws: a test must never compare against a half-resolved value.
 */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';

export interface CfnTemplate {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties?: Record<string, any> }>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
}

/** The app's templates by stack name. */
export type Templates = Readonly<Record<string, CfnTemplate>>;

const GENERATED_SUFFIX = 'AB12CD34EF56';

export class CfnResolver {
  constructor(
    private readonly templates: Templates,
    private readonly stackName: string,
  ) {
    if (!templates[stackName]) throw new Error(`no template for stack ${stackName}`);
  }

  private get template(): CfnTemplate {
    return this.templates[this.stackName];
  }

  resolve(value: unknown): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`cannot resolve ${JSON.stringify(value)} to a string`);
    }
    const [fn, args] = single(value as Record<string, unknown>);
    switch (fn) {
      case 'Ref':
        return this.ref(args as string);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(args) ? args : String(args).split('.');
        return this.getAtt(id as string, attribute as string);
      }
      case 'Fn::Join': {
        const [delimiter, items] = args as [string, unknown[]];
        return items.map((item) => this.resolve(item)).join(delimiter);
      }
      case 'Fn::Sub':
        return this.sub(args);
      case 'Fn::Select': {
        const [index, list] = args as [unknown, unknown];
        return this.resolveList(list)[Number(this.resolve(index))];
      }
      case 'Fn::GetStackOutput': {
        const { StackName, OutputName } = args as { StackName: unknown; OutputName: unknown };
        const stack = this.resolve(StackName);
        const output = this.templates[stack]?.Outputs?.[this.resolve(OutputName)];
        if (!output) throw new Error(`stack ${stack} has no output ${JSON.stringify(OutputName)}`);
        return new CfnResolver(this.templates, stack).resolve(output.Value);
      }
      default:
        throw new Error(`cannot resolve ${fn} in ${JSON.stringify(value)}`);
    }
  }

  /** A list value: an array of values, or Fn::Split. */
  resolveList(value: unknown): string[] {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    const [fn, args] = single(value as Record<string, unknown>);
    if (fn !== 'Fn::Split') throw new Error(`cannot resolve ${fn} to a list`);
    const [delimiter, source] = args as [string, unknown];
    return this.resolve(source).split(delimiter);
  }

  private ref(name: string): string {
    switch (name) {
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Region':
        return REGION;
      case 'AWS::Partition':
        return PARTITION;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
    }
    const resource = this.resource(name);
    switch (resource.Type) {
      case 'AWS::IAM::ManagedPolicy': {
        const path = resource.Properties?.Path ?? '/';
        const policyName = resource.Properties?.ManagedPolicyName ?? this.generatedName(name);
        return `arn:${PARTITION}:iam::${ACCOUNT}:policy${path}${this.resolve(policyName)}`;
      }
      case 'AWS::S3::Bucket':
        return this.bucketName(name);
      default:
        return `${name}-physical-id`;
    }
  }

  private getAtt(id: string, attribute: string): string {
    const resource = this.resource(id);
    if (resource.Type === 'AWS::S3::Bucket' && attribute === 'Arn')
      return `arn:${PARTITION}:s3:::${this.bucketName(id)}`;
    if (resource.Type === 'AWS::IAM::Role' && attribute === 'Arn') {
      return `arn:${PARTITION}:iam::${ACCOUNT}:role${resource.Properties?.Path ?? '/'}${this.generatedName(id)}`;
    }
    return `${id}.${attribute}`;
  }

  private sub(args: unknown): string {
    const [text, variables] = typeof args === 'string' ? [args, {}] : (args as [string, Record<string, unknown>]);
    return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in variables) return this.resolve(variables[name]);
      const [id, attribute] = name.split('.');
      return attribute ? this.getAtt(id, attribute) : this.ref(id);
    });
  }

  private resource(id: string) {
    const resource = this.template.Resources[id];
    if (!resource) throw new Error(`stack ${this.stackName} has no resource ${id}`);
    return resource;
  }

  private generatedName(id: string): string {
    return `${this.stackName}-${id}-${GENERATED_SUFFIX}`.slice(0, 128);
  }

  private bucketName(id: string): string {
    const name = this.resource(id).Properties?.BucketName;
    return name ? this.resolve(name) : `${this.stackName}-${id}-${GENERATED_SUFFIX}`.toLowerCase().slice(0, 63);
  }
}

function single(value: Record<string, unknown>): [string, unknown] {
  const keys = Object.keys(value);
  if (keys.length !== 1) throw new Error(`not an intrinsic function: ${JSON.stringify(value)}`);
  return [keys[0], value[keys[0]]];
}
