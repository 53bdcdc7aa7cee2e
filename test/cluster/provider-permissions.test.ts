/**
 * ParallelCluster's provider creates the cluster with its own Lambda role: it attaches the node policies to the node
 * roles and links FSx to our buckets. cdk-nag cannot see that role (it lives in the provider's nested stack, from
 * ParallelCluster's template), so this test reads the synthesized templates and checks every such call against
 * ParallelCluster's own policy statements, kept as data with their source in fixtures/parallelcluster-provider-rules.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Aspects, CfnResource, IAspect, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { buildApp } from '../../lib/app';
import { CfnResolver, CfnTemplate, Templates } from '../support/cfn-resolve';
import { defaultConfig, testApp } from '../support/app';
import { evaluate, IamRequest, Statement } from '../support/iam-policy-check';

const RULES = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures', 'parallelcluster-provider-rules.json'), 'utf8'),
);
const FSX_S3_SERVICE = 's3.data-source.lustre.fsx.amazonaws.com';

interface Synthesized {
  readonly templates: Templates;
  readonly clusterStack: string;
}

function synthesize(edit?: (app: ReturnType<typeof testApp>) => void): Synthesized {
  const app = testApp();
  const stacks = buildApp(app, defaultConfig());
  edit?.(app);
  const all: Stack[] = [stacks.network, stacks.data, stacks.cluster, stacks.training, stacks.monitoring];
  const templates = Object.fromEntries(
    all.map((stack) => [stack.stackName, Template.fromStack(stack).toJSON() as CfnTemplate]),
  );
  return { templates, clusterStack: stacks.cluster.stackName };
}

/** Replaces ${Partition}, ${AccountId} and ${ClusterName} in the rules' strings. */
function fill<T>(value: T, cluster: string): T {
  return JSON.parse(
    JSON.stringify(value)
      .replace(/\$\{Partition\}/g, 'aws')
      .replace(/\$\{AccountId\}/g, '123456789012')
      .replace(/\$\{ClusterName\}/g, cluster),
  );
}

/** A policy document's statements with their Resource and Condition values resolved. */
function resolvedStatements(resolver: CfnResolver, document: { Statement: any[] }): Statement[] {
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.map((v) => resolver.resolve(v)) : resolver.resolve(value);
  return document.Statement.map((statement) => ({
    ...statement,
    Resource: strings(statement.Resource),
    Condition: statement.Condition
      ? Object.fromEntries(
          Object.entries(statement.Condition as Record<string, Record<string, unknown>>).map(([operator, keys]) => [
            operator,
            Object.fromEntries(Object.entries(keys).map(([key, values]) => [key, strings(values)])),
          ]),
        )
      : undefined,
  }));
}

/** The managed policies of every stack of the app by their resolved ARN. */
function managedPolicies(templates: Templates): Map<string, Statement[]> {
  return new Map(
    Object.entries(templates).flatMap(([stackName, template]) => {
      const resolver = new CfnResolver(templates, stackName);
      return Object.entries(template.Resources)
        .filter(([, resource]) => resource.Type === 'AWS::IAM::ManagedPolicy')
        .map(([id, resource]): [string, Statement[]] => [
          resolver.resolve({ Ref: id }),
          resolvedStatements(resolver, resource.Properties!.PolicyDocument),
        ]);
    }),
  );
}

interface ProviderView {
  readonly clusterName: string;
  /** Everything the provider's Lambda role may do: ParallelCluster's statements and our AdditionalIamPolicies. */
  readonly providerStatements: Statement[];
  readonly additionalPolicyArns: string[];
  /** Each node's attached policies: its AdditionalIamPolicies, and what ParallelCluster adds. */
  readonly nodePolicies: { readonly node: string; readonly arn: string }[];
  readonly policies: Map<string, Statement[]>;
  readonly linkedPaths: string[];
}

function providerView({ templates, clusterStack }: Synthesized): ProviderView {
  const template = templates[clusterStack];
  const resolver = new CfnResolver(templates, clusterStack);
  const policies = managedPolicies(templates);
  const [provider] = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudFormation::Stack');
  const [cluster] = Object.values(template.Resources).filter((r) => r.Type === 'Custom::PclusterCluster');
  const clusterName = resolver.resolve(cluster.Properties!.ClusterName);
  const config = cluster.Properties!.ClusterConfiguration;

  const additionalPolicyArns = resolver.resolve(provider.Properties!.Parameters.AdditionalIamPolicies).split(',');
  const providerStatements = [
    ...fill(RULES.providerStatements as Statement[], clusterName),
    ...additionalPolicyArns.flatMap((arn) => {
      const statements = policies.get(arn);
      if (!statements) throw new Error(`AdditionalIamPolicies names ${arn}, which is no policy of the app`);
      return statements;
    }),
  ];
  const addedByParallelCluster: string[] = config.Monitoring?.Logs?.CloudWatch?.Enabled
    ? fill(RULES.attachedByParallelCluster.whenCloudWatchLogsEnabled, clusterName)
    : [];
  const nodes: [string, any][] = [
    ['HeadNode', config.HeadNode],
    ...config.Scheduling.SlurmQueues.map((q: any) => [`queue ${q.Name}`, q]),
  ];
  const nodePolicies = nodes.flatMap(([node, settings]) =>
    [
      ...settings.Iam.AdditionalIamPolicies.map((p: { Policy: unknown }) => resolver.resolve(p.Policy)),
      ...addedByParallelCluster,
    ].map((arn: string) => ({ node, arn })),
  );
  const linkedPaths = config.SharedStorage.flatMap((storage: any) =>
    (storage.FsxLustreSettings?.DataRepositoryAssociations ?? []).map((a: any) =>
      resolver.resolve(a.DataRepositoryPath),
    ),
  );
  return { clusterName, providerStatements, additionalPolicyArns, nodePolicies, policies, linkedPaths };
}

/** Each call the provider makes for the cluster that its role would refuse, as a sentence. */
function refusedCalls(view: ProviderView): string[] {
  const refused: string[] = [];
  const check = (what: string, request: IamRequest) => {
    const decision = evaluate(view.providerStatements, request);
    if (decision !== 'allowed') refused.push(`${what}: ${request.action} on ${request.resource} is ${decision}`);
  };
  const nodeRole = fill(RULES.nodeRoleArn as string, view.clusterName);
  for (const action of RULES.nodeRoleCalls.onRole) check('create the node roles', { action, resource: nodeRole });
  const { action: passRole, service } = RULES.nodeRoleCalls.passRole;
  check('launch the nodes with their roles', {
    action: passRole,
    resource: nodeRole,
    context: { 'iam:PassedToService': service },
  });
  for (const { node, arn } of view.nodePolicies) {
    check(`attach ${arn} to the ${node} role`, {
      action: 'iam:AttachRolePolicy',
      resource: nodeRole,
      context: { 'iam:PolicyARN': arn },
    });
    check(`validate ${arn} (IamPolicyValidator)`, { action: 'iam:GetPolicy', resource: arn });
  }
  const association = fill(RULES.dataRepositoryAssociation, view.clusterName);
  for (const repository of view.linkedPaths) {
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(repository);
    if (!match) throw new Error(`DataRepositoryPath ${repository} is not an s3:// path`);
    const [, bucket, prefix] = match;
    for (const action of association.onBucket)
      check(`link ${repository}`, { action, resource: `arn:aws:s3:::${bucket}` });
    for (const action of association.onObjects) {
      check(`link ${repository}`, {
        action,
        resource: `arn:aws:s3:::${bucket}/${prefix ? `${prefix}/` : ''}example-object`,
      });
    }
    for (const action of association.onServiceLinkedRole.actions) {
      check(`link ${repository}`, {
        action,
        resource: association.onServiceLinkedRole.arn,
        context: { 'iam:AWSServiceName': FSX_S3_SERVICE },
      });
    }
  }
  return refused;
}

/** Each (action, resource) of a node policy that the policies the app gives the provider allow too. */
function nodeRightsGivenToProvider(view: ProviderView): string[] {
  const ours = view.additionalPolicyArns.flatMap((arn) => view.policies.get(arn) ?? []);
  const nodeArns = new Set(view.nodePolicies.map(({ arn }) => arn));
  return [...nodeArns].flatMap((arn) =>
    (view.policies.get(arn) ?? []).flatMap((statement) =>
      [statement.Action].flat().flatMap((action) =>
        [statement.Resource]
          .flat()
          .filter((resource) => evaluate(ours, { action, resource }) === 'allowed')
          .map((resource) => `${action} on ${resource} (from ${arn})`),
      ),
    ),
  );
}

const view = providerView(synthesize());

test("ParallelCluster's provider may create every node role, pass it to EC2, and attach each policy the configuration attaches", () => {
  expect(view.nodePolicies.map(({ arn }) => arn.replace(/-AB12CD34EF56$/, ''))).toEqual(
    expect.arrayContaining([
      'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
      'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy',
      expect.stringMatching(
        /^arn:aws:iam::123456789012:policy\/parallelcluster\/trainium-cpt-cluster-MetricsAgentPolicy/,
      ),
      expect.stringMatching(
        /^arn:aws:iam::123456789012:policy\/parallelcluster\/trainium-cpt-cluster-TrainingNodePolicy/,
      ),
    ]),
  );
  expect(refusedCalls(view)).toEqual([]);
});

test('the provider can link FSx to each bucket of the configuration: the datasets and the checkpoints buckets', () => {
  expect(view.linkedPaths).toEqual([
    expect.stringMatching(/^s3:\/\/trainium-cpt-data-bucketsdatasets[^/]*\/datasets$/),
    expect.stringMatching(/^s3:\/\/trainium-cpt-data-bucketscheckpoints[^/]*\/checkpoints$/),
  ]);
  // refusedCalls covers the associations; without our FSx policy, every call on a bucket or on FSx's role for S3 is
  // refused (ParallelCluster's own policies allow only iam:CreateServiceLinkedRole of it).
  const withoutOurs = { ...view, providerStatements: fill(RULES.providerStatements as Statement[], view.clusterName) };
  const refused = refusedCalls(withoutOurs).filter((call) => call.startsWith('link '));
  expect(refused).toHaveLength(view.linkedPaths.length * 7);
  expect(refused.filter((call) => call.includes('iam:CreateServiceLinkedRole'))).toEqual([]);
});

test("the provider gets one policy of ours, for linking FSx, which grants none of the nodes' rights", () => {
  expect(view.additionalPolicyArns).toEqual([
    expect.stringMatching(/^arn:aws:iam::123456789012:policy\/trainium-cpt-data-FsxLinking/),
  ]);
  // The node policies have rights (else this would prove nothing): reading the token, publishing metrics.
  expect(view.nodePolicies.filter(({ arn }) => (view.policies.get(arn) ?? []).length > 0)).toHaveLength(2);
  expect(nodeRightsGivenToProvider(view)).toEqual([]);
});

test('a node policy outside the /parallelcluster/ path is refused, named in the finding', () => {
  class MoveTrainingNodePolicy implements IAspect {
    visit(node: IConstruct): void {
      if (
        node instanceof CfnResource &&
        node.cfnResourceType === 'AWS::IAM::ManagedPolicy' &&
        node.node.path.includes('TrainingNodePolicy')
      ) {
        node.addPropertyOverride('Path', '/');
      }
    }
  }
  const moved = providerView(synthesize((app) => Aspects.of(app).add(new MoveTrainingNodePolicy())));
  expect(refusedCalls(moved)).toEqual([
    expect.stringMatching(
      /^attach arn:aws:iam::123456789012:policy\/trainium-cpt-cluster-TrainingNodePolicy\S+ to the queue trn role: iam:AttachRolePolicy on arn:aws:iam::123456789012:role\/parallelcluster\/trainium-cpt-pcluster\/\S+ is implicitly denied$/,
    ),
  ]);
});

describe('the IAM check itself', () => {
  const attach: Statement = RULES.providerStatements.find((s: Statement) => s.Sid === 'IamPolicy');
  const statements = fill([attach], 'c');
  const request = (policy: string): IamRequest => ({
    action: 'iam:AttachRolePolicy',
    resource: 'arn:aws:iam::123456789012:role/parallelcluster/c/r',
    context: { 'iam:PolicyARN': policy },
  });

  test.each([
    ['arn:aws:iam::123456789012:policy/parallelcluster/x', 'allowed'],
    ['arn:aws:iam::123456789012:policy/parallelcluster-x', 'allowed'],
    ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore', 'allowed'],
    ['arn:aws:iam::123456789012:policy/x', 'implicitly denied'],
    ['arn:aws:iam::210987654321:policy/parallelcluster/x', 'implicitly denied'],
    ['arn:aws:iam::aws:policy/AdministratorAccess', 'implicitly denied'],
  ])('attach %s: %s', (policy, decision) => {
    expect(evaluate(statements, request(policy))).toBe(decision);
  });

  test('a role outside role/parallelcluster/ is refused; an explicit Deny wins; unknown operators throw', () => {
    expect(
      evaluate(statements, {
        ...request('arn:aws:iam::123456789012:policy/parallelcluster/x'),
        resource: 'arn:aws:iam::123456789012:role/r',
      }),
    ).toBe('implicitly denied');
    const deny: Statement = { Effect: 'Deny', Action: 'iam:*', Resource: '*' };
    expect(evaluate([...statements, deny], request('arn:aws:iam::123456789012:policy/parallelcluster/x'))).toBe(
      'denied',
    );
    const odd: Statement = {
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { NumericLessThan: { 'aws:x': '1' } },
    };
    expect(() => evaluate([odd], request('x'))).toThrow('condition operator NumericLessThan is not supported');
  });
});
