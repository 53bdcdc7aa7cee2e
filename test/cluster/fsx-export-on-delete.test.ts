import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildClusterConfig } from '../../lib/cluster/cluster-config';
import { FsxExportOnDelete } from '../../lib/cluster/fsx-export-on-delete';
import { fsxExportTargets, pclusterFsxLogicalId, taskPath } from '../../lib/cluster/fsx-export-targets';
import { defaultConfig, synthApp } from '../support/app';
import { RESOURCES } from '../support/cluster-resources';

/** The actions of these statements, sorted, but for the logs: ones every function's role has. */
const actionsBesidesLogs = (statements: Array<Record<string, any>>) =>
  statements
    .flatMap((s) => [s.Action].flat())
    .filter((a) => !String(a).startsWith('logs:'))
    .sort();

const { stacks } = synthApp();
const template = Template.fromStack(stacks.cluster);
const [[exportId, exportResource]] = Object.entries(template.findResources('Custom::FsxExportOnDelete'));
const [[clusterId]] = Object.entries(template.findResources('Custom::PclusterCluster'));

/** The statements of the role policy attached to the role whose logical ID starts with `rolePrefix`. */
function statementsOf(rolePrefix: string): Array<Record<string, unknown>> {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref.startsWith(rolePrefix)),
  );
  return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

function onlyStatementWith(statements: Array<Record<string, unknown>>, action: string, resource?: RegExp) {
  const found = statements.filter(
    (s) => [s.Action].flat().includes(action) && (resource === undefined || resource.test(JSON.stringify(s.Resource))),
  );
  expect(found).toHaveLength(1);
  return found[0];
}

describe('the export on delete', () => {
  test('is a resource of the cluster stack that CloudFormation deletes before the cluster', () => {
    expect(exportResource.DependsOn).toContain(clusterId);
    // and not the other way round, which would delete the cluster first
    expect(template.findResources('Custom::PclusterCluster')[clusterId].DependsOn ?? []).not.toContain(exportId);
  });

  test('is told the cluster, what to export (from the configuration) and for how long to wait', () => {
    template.hasResourceProperties('Custom::FsxExportOnDelete', {
      ClusterName: 'trainium-cpt-pcluster',
      ExportTimeoutSeconds: '3000',
      Targets: [
        {
          StorageName: 'fsx',
          LogicalId: 'FSX05d6d37795cc976a',
          Paths: ['checkpoints'],
          ReportPath: {
            'Fn::Join': [
              '',
              [
                's3://',
                {
                  'Fn::GetStackOutput': Match.objectLike({
                    StackName: 'trainium-cpt-data',
                    OutputName: Match.stringLikeRegexp('BucketsCheckpoints'),
                  }),
                },
                '/checkpoints/_fsx-export-reports',
              ],
            ],
          },
        },
      ],
    });
  });

  test("fits in CloudFormation's hour: its own deadline < the provider's timeout < ServiceTimeout <= 3,600 s", () => {
    const serviceTimeout = Number(exportResource.Properties.ServiceTimeout);
    expect(serviceTimeout).toBe(3480);
    expect(serviceTimeout).toBeLessThanOrEqual(3600);
    const waiter = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))
      .map((machine) => JSON.stringify(machine.Properties.DefinitionString))
      .find((definition) => definition.includes('FsxExportOnDeleteProvider'));
    // The waiter polls every 30 s, 110 times: the provider's total timeout of 3,300 s.
    expect(waiter).toMatch(/\\"IntervalSeconds\\":30,\\"MaxAttempts\\":110,\\"BackoffRate\\":1/);
    expect(3000 + 30).toBeLessThan(30 * 110);
    expect(30 * 110).toBeLessThan(serviceTimeout);
  });

  test('runs its two handlers on Node.js 24, ARM, with their own log groups', () => {
    const handlers = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) =>
      /FSx/.test(String(fn.Properties.Description)),
    );
    expect(handlers.map((fn) => fn.Properties.Handler).sort()).toEqual(['index.isComplete', 'index.onEvent']);
    for (const fn of handlers) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 60 });
      expect(fn.Properties.LoggingConfig.LogGroup).toEqual({
        Ref: expect.stringMatching(/^FsxExportOnDelete(Locate|Export)Logs/),
      });
    }
  });

  test('logs every waiter event', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({
        Level: 'ALL',
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FsxExportOnDeleteWaiterLogs'), 'Arn'] },
            },
          },
        ],
      }),
    });
  });
});

describe('least privilege', () => {
  test("the locate role lists the resources of the cluster's own stack only, and describes file systems", () => {
    const statements = statementsOf('FsxExportOnDeleteLocateRole');
    const list = onlyStatementWith(statements, 'cloudformation:ListStackResources');
    expect(list.Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':cloudformation:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':stack/trainium-cpt-pcluster/*',
        ],
      ],
    });
    expect(onlyStatementWith(statements, 'fsx:DescribeFileSystems').Resource).toBe('*');
    expect(actionsBesidesLogs(statements)).toEqual(['cloudformation:ListStackResources', 'fsx:DescribeFileSystems']);
  });

  test("the export role starts tasks only on file systems tagged with the cluster's name", () => {
    const statements = statementsOf('FsxExportOnDeleteExportRole');
    const onFileSystems = onlyStatementWith(statements, 'fsx:CreateDataRepositoryTask', /file-system\/\*/);
    expect(onFileSystems.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/parallelcluster:cluster-name': 'trainium-cpt-pcluster' },
    });
    expect(
      JSON.stringify(onlyStatementWith(statements, 'fsx:CreateDataRepositoryTask', /task\/\*/).Resource),
    ).toContain(':task/*');
    expect(onlyStatementWith(statements, 'fsx:DescribeDataRepositoryTasks').Resource).toBe('*');
    expect(actionsBesidesLogs(statements)).toEqual([
      'fsx:CreateDataRepositoryTask',
      'fsx:CreateDataRepositoryTask',
      'fsx:DescribeDataRepositoryTasks',
    ]);
    // Neither role may cancel, delete or change anything.
    const all = JSON.stringify([...statements, ...statementsOf('FsxExportOnDeleteLocateRole')]);
    expect(all).not.toMatch(/fsx:(Cancel|Delete|Update|Tag|\*)/);
  });
});

describe('what to export, from the configuration', () => {
  const configuration = buildClusterConfig(defaultConfig(), RESOURCES);

  test("ParallelCluster's logical ID of a managed file system: FSX + 16 hex digits of SHA-1, Python-capitalized", () => {
    // Values from Python: "FSX" + sha1(name).hexdigest()[:16].capitalize()
    expect(pclusterFsxLogicalId('fsx')).toBe('FSX05d6d37795cc976a');
    expect(pclusterFsxLogicalId('scratch')).toBe('FSXFfdf8c66d3c22ed4');
  });

  test('task paths are relative to the root, without slashes; "/" is the whole file system', () => {
    expect(taskPath('/checkpoints')).toBe('checkpoints');
    expect(taskPath('/ns1/subdir/')).toBe('ns1/subdir');
    expect(taskPath('/')).toBe('');
  });

  test('only associations with an AutoExportPolicy are exported (the datasets association only imports)', () => {
    expect(fsxExportTargets(configuration)).toEqual([
      {
        StorageName: 'fsx',
        LogicalId: 'FSX05d6d37795cc976a',
        Paths: ['checkpoints'],
        ReportPath: `s3://${RESOURCES.checkpointsBucketName}/checkpoints/_fsx-export-reports`,
      },
    ]);
  });

  test('follows the configuration: a second exporting association, and one at the root', () => {
    const [storage] = configuration.SharedStorage;
    const settings = storage.FsxLustreSettings;
    const exporting = (FileSystemPath: string) => ({
      ...settings.DataRepositoryAssociations[1],
      Name: FileSystemPath,
      FileSystemPath,
      AutoExportPolicy: ['NEW'],
    });
    const withTwo = {
      ...configuration,
      SharedStorage: [
        {
          ...storage,
          FsxLustreSettings: {
            ...settings,
            DataRepositoryAssociations: [...settings.DataRepositoryAssociations, exporting('/exports')],
          },
        },
      ],
    };
    expect(fsxExportTargets(withTwo)[0].Paths).toEqual(['checkpoints', 'exports']);
    const atRoot = {
      ...configuration,
      SharedStorage: [{ ...storage, FsxLustreSettings: { ...settings, DataRepositoryAssociations: [exporting('/')] } }],
    };
    expect(fsxExportTargets(atRoot)[0].Paths).toEqual([]);
    const none = {
      ...configuration,
      SharedStorage: [
        {
          ...storage,
          FsxLustreSettings: { ...settings, DataRepositoryAssociations: [settings.DataRepositoryAssociations[0]] },
        },
      ],
    };
    expect(fsxExportTargets(none)).toEqual([]);
  });

  test("an export timeout that does not fit in CloudFormation's hour fails synthesis", () => {
    const stack = new Stack();
    const cluster = {
      clusterName: 'c',
      resource: new CustomResource(stack, 'Cluster', {
        serviceToken: 'arn:aws:lambda:us-east-1:123456789012:function:x',
      }),
    };
    expect(
      () => new FsxExportOnDelete(stack, 'Fits', { cluster, configuration, exportTimeout: Duration.minutes(52) }),
    ).not.toThrow();
    expect(
      () => new FsxExportOnDelete(stack, 'TooLong', { cluster, configuration, exportTimeout: Duration.minutes(53) }),
    ).toThrow(/exportTimeout 53 min leaves no room within CloudFormation's 60 min.*at most 52 min/);
  });
});
