import { CloudFormationClient, ListStackResourcesCommand, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import {
  CreateDataRepositoryTaskCommand,
  DataRepositoryTask,
  DataRepositoryTaskExecuting,
  DescribeDataRepositoryTasksCommand,
  DescribeFileSystemsCommand,
  FileSystemNotFound,
  FSxClient,
} from '@aws-sdk/client-fsx';
import { Logger } from '@aws-lambda-powertools/logger';
import { isComplete, IsCompleteEvent, onEvent } from '../../lambda/fsx-export';
import { coversPaths, exportTaskOfThisDelete } from '../../lambda/fsx-export/export-task';
import { FsxExportProperties } from '../../lib/cluster/fsx-export-targets';
import { customResourceEvent } from '../support/custom-resource';
import { mockSdkClients } from '../support/sdk-mocks';

const { cloudformation, fsx } = mockSdkClients({ cloudformation: CloudFormationClient, fsx: FSxClient });

const CLUSTER = 'trainium-cpt-pcluster';
const LOGICAL_ID = 'FSX05d6d37795cc976a';
const FS_ID = 'fs-0123456789abcdef0';
const REPORT_PATH = 's3://ckpt-bucket/checkpoints/_fsx-export-reports';
const PROPS: FsxExportProperties = {
  ClusterName: CLUSTER,
  Targets: [{ StorageName: 'fsx', LogicalId: LOGICAL_ID, Paths: ['checkpoints'], ReportPath: REPORT_PATH }],
  ExportTimeoutSeconds: '3000',
};
const PHYSICAL_ID = `${CLUSTER}-fsx-export-on-delete`;
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/trainium-cpt-cluster/guid';

const event = (requestType: 'Create' | 'Update' | 'Delete') =>
  customResourceEvent(requestType, {
    stackId: STACK_ID,
    logicalId: 'FsxExportOnDelete2F6A8C1D',
    physicalId: PHYSICAL_ID,
    type: 'Custom::FsxExportOnDelete',
    properties: PROPS,
  });

/** The isComplete event the provider framework builds: the request and what onEvent returned. */
function poll(data: { Since: string; FileSystems: string }): IsCompleteEvent {
  return { ...event('Delete'), PhysicalResourceId: PHYSICAL_ID, Data: data } as IsCompleteEvent;
}

const SINCE = new Date('2026-03-01T10:00:00Z');
const minutes = (n: number) => new Date(SINCE.getTime() + n * 60_000);
const DELETE_STATE = { Since: SINCE.toISOString(), FileSystems: `${LOGICAL_ID}=${FS_ID}` };

function clusterStack(resources: StackResourceSummary[]) {
  cloudformation.on(ListStackResourcesCommand, { StackName: CLUSTER }).resolves({ StackResourceSummaries: resources });
}
const FSX_RESOURCE: StackResourceSummary = {
  LogicalResourceId: LOGICAL_ID,
  PhysicalResourceId: FS_ID,
  ResourceType: 'AWS::FSx::FileSystem',
  ResourceStatus: 'CREATE_COMPLETE',
  LastUpdatedTimestamp: SINCE,
};
const HEAD_NODE: StackResourceSummary = {
  LogicalResourceId: 'HeadNode',
  PhysicalResourceId: 'i-0abc',
  ResourceType: 'AWS::EC2::Instance',
  ResourceStatus: 'CREATE_COMPLETE',
  LastUpdatedTimestamp: SINCE,
};

/** A file system as DescribeFileSystems answers; `clusterTag` null for one without the cluster-name tag. */
function fileSystem(lifecycle = 'AVAILABLE', clusterTag: string | null = CLUSTER) {
  fsx.on(DescribeFileSystemsCommand, { FileSystemIds: [FS_ID] }).resolves({
    FileSystems: [
      {
        FileSystemId: FS_ID,
        FileSystemType: 'LUSTRE',
        Lifecycle: lifecycle as 'AVAILABLE',
        Tags:
          clusterTag === null
            ? [{ Key: 'Name', Value: 'fsx' }]
            : [{ Key: 'parallelcluster:cluster-name', Value: clusterTag }],
      },
    ],
  });
}

function task(overrides: Partial<DataRepositoryTask>): DataRepositoryTask {
  return {
    TaskId: 'task-0aaaaaaaaaaaaaaa1',
    FileSystemId: FS_ID,
    Type: 'EXPORT_TO_REPOSITORY',
    Lifecycle: 'EXECUTING',
    Paths: ['checkpoints'],
    CreationTime: minutes(1),
    ...overrides,
  };
}

function tasksAre(...tasks: DataRepositoryTask[]) {
  fsx.on(DescribeDataRepositoryTasksCommand).resolves({ DataRepositoryTasks: tasks });
}

/** Fakes the clock only (Date.now, new Date): the SDK's promises and timers run as usual. */
function clockAt(time: Date) {
  jest.useFakeTimers({
    now: time,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}

beforeEach(() => {
  clockAt(minutes(5));
});

afterAll(() => jest.useRealTimers());

describe('Create and Update', () => {
  test.each(['Create', 'Update'] as const)('%s succeeds at once and sends nothing', async (type) => {
    await expect(onEvent(event(type))).resolves.toEqual({ PhysicalResourceId: PHYSICAL_ID });
    await expect(isComplete({ ...event(type), PhysicalResourceId: PHYSICAL_ID })).resolves.toEqual({
      IsComplete: true,
    });
    expect(cloudformation.calls()).toHaveLength(0);
    expect(fsx.calls()).toHaveLength(0);
  });
});

describe('Delete: finding the file system', () => {
  test("finds it by logical ID in ParallelCluster's stack and checks it is available and the cluster's", async () => {
    clusterStack([HEAD_NODE, FSX_RESOURCE]);
    fileSystem();
    const result = await onEvent(event('Delete'));
    expect(result.PhysicalResourceId).toBe(PHYSICAL_ID);
    expect(result.Data?.FileSystems).toBe(`${LOGICAL_ID}=${FS_ID}`);
    expect(Date.now() - new Date(result.Data?.Since ?? 0).getTime()).toBeLessThan(5_000);
    expect(cloudformation).toHaveReceivedCommandWith(ListStackResourcesCommand, { StackName: CLUSTER });
    expect(fsx).toHaveReceivedCommandWith(DescribeFileSystemsCommand, { FileSystemIds: [FS_ID] });
    expect(fsx).not.toHaveReceivedCommand(CreateDataRepositoryTaskCommand);
  });

  test('no cluster stack (never created, or rolled back and gone): nothing to export, and the delete succeeds', async () => {
    cloudformation
      .on(ListStackResourcesCommand)
      .rejects(Object.assign(new Error(`Stack with id ${CLUSTER} does not exist`), { name: 'ValidationError' }));
    const result = await onEvent(event('Delete'));
    expect(result.Data?.FileSystems).toBe('');
    await expect(isComplete(poll({ ...DELETE_STATE, FileSystems: '' }))).resolves.toEqual({ IsComplete: true });
    expect(fsx.calls()).toHaveLength(0);
  });

  test.each([
    ['no file system in the stack', [HEAD_NODE]],
    [
      'its creation failed',
      [HEAD_NODE, { ...FSX_RESOURCE, ResourceStatus: 'CREATE_FAILED', PhysicalResourceId: undefined }],
    ],
    ['already deleted', [HEAD_NODE, { ...FSX_RESOURCE, ResourceStatus: 'DELETE_COMPLETE' }]],
  ])('%s: nothing to export', async (_name, resources) => {
    clusterStack(resources as StackResourceSummary[]);
    const result = await onEvent(event('Delete'));
    expect(result.Data?.FileSystems).toBe('');
    expect(fsx).not.toHaveReceivedCommand(CreateDataRepositoryTaskCommand);
    expect(fsx).not.toHaveReceivedCommand(DescribeFileSystemsCommand);
  });

  test('a file system FSx no longer knows, or one that failed: nothing to export', async () => {
    clusterStack([FSX_RESOURCE]);
    fsx
      .on(DescribeFileSystemsCommand)
      .rejects(new FileSystemNotFound({ $metadata: {}, message: 'File system not found' }));
    expect((await onEvent(event('Delete'))).Data?.FileSystems).toBe('');
    fsx.reset();
    fileSystem('FAILED');
    expect((await onEvent(event('Delete'))).Data?.FileSystems).toBe('');
    expect(fsx).not.toHaveReceivedCommand(CreateDataRepositoryTaskCommand);
  });

  test('a file system of the stack under another logical ID fails the delete rather than skip the export', async () => {
    clusterStack([{ ...FSX_RESOURCE, LogicalResourceId: 'FSX1111111111111111' }]);
    await expect(onEvent(event('Delete'))).rejects.toThrow(
      /has FSx file system\(s\) FSX1111111111111111 \(fs-0123456789abcdef0\) but none with the logical ID FSX05d6d37795cc976a/,
    );
  });

  test('a file system without the cluster-name tag fails the delete (the role could not export it), saying why', async () => {
    clusterStack([FSX_RESOURCE]);
    fileSystem('AVAILABLE', null);
    await expect(onEvent(event('Delete'))).rejects.toThrow(
      /has tag parallelcluster:cluster-name=\(none\), not trainium-cpt-pcluster.*NOT deleted: nothing is lost/,
    );
  });

  test('a MISCONFIGURED file system fails the delete: its data may not be in S3 yet', async () => {
    clusterStack([FSX_RESOURCE]);
    fileSystem('MISCONFIGURED');
    await expect(onEvent(event('Delete'))).rejects.toThrow(
      /fs-0123456789abcdef0 \(storage "fsx"\) is MISCONFIGURED: FSx cannot export from it now/,
    );
  });
});

describe('Delete: exporting and waiting', () => {
  test('starts an export of the exporting paths, with a report of failed files, when none is running', async () => {
    tasksAre();
    const created = task({ Lifecycle: 'PENDING', CreationTime: new Date() });
    fsx.on(CreateDataRepositoryTaskCommand).resolves({ DataRepositoryTask: created });
    await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: false });
    expect(fsx).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 1);
    expect(fsx).toHaveReceivedCommandWith(CreateDataRepositoryTaskCommand, {
      Type: 'EXPORT_TO_REPOSITORY',
      FileSystemId: FS_ID,
      Paths: ['checkpoints'],
      Report: { Enabled: true, Path: REPORT_PATH, Format: 'REPORT_CSV_20191124', Scope: 'FAILED_FILES_ONLY' },
    });
    expect(fsx).toHaveReceivedCommandWith(DescribeDataRepositoryTasksCommand, {
      Filters: [{ Name: 'file-system-id', Values: [FS_ID] }],
    });
  });

  test('is incomplete while its export is PENDING or EXECUTING, complete once it SUCCEEDED, and starts no other', async () => {
    for (const Lifecycle of ['PENDING', 'EXECUTING'] as const) {
      tasksAre(task({ Lifecycle, Status: { TotalCount: 40, SucceededCount: 12, FailedCount: 0 } }));
      await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: false });
    }
    tasksAre(
      task({
        Lifecycle: 'SUCCEEDED',
        EndTime: minutes(7),
        Status: { TotalCount: 40, SucceededCount: 40, FailedCount: 0 },
      }),
    );
    await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: true });
    expect(fsx).not.toHaveReceivedCommand(CreateDataRepositoryTaskCommand);
  });

  test('logs each poll: the task, its state and the files done (the API counts files, not bytes)', async () => {
    const info = jest.spyOn(Logger.prototype, 'info');
    tasksAre(task({ Status: { TotalCount: 40, SucceededCount: 12, FailedCount: 1, LastUpdatedTime: minutes(4) } }));
    await isComplete(poll(DELETE_STATE));
    expect(info).toHaveBeenCalledWith('export progress', {
      fileSystemId: FS_ID,
      taskId: 'task-0aaaaaaaaaaaaaaa1',
      type: 'EXPORT_TO_REPOSITORY',
      lifecycle: 'EXECUTING',
      paths: ['checkpoints'],
      totalFiles: 40,
      succeededFiles: 12,
      failedFiles: 1,
      lastUpdated: minutes(4).toISOString(),
    });
    info.mockRestore();
  });

  test.each([
    [
      'FAILED',
      {
        FailureDetails: { Message: 'Export of 2 files failed: see the report' },
        Status: { TotalCount: 10, SucceededCount: 8, FailedCount: 2 },
      },
    ],
    ['CANCELED', { FailureDetails: { Message: 'Task canceled by user' } }],
  ] as const)(
    'an export that ended %s fails the delete with the task, its details and what to do',
    async (Lifecycle, details) => {
      tasksAre(task({ Lifecycle, EndTime: minutes(3), ...details }));
      const failure = isComplete(poll(DELETE_STATE));
      await expect(failure).rejects.toThrow(`task task-0aaaaaaaaaaaaaaa1 (${Lifecycle}`);
      await expect(failure).rejects.toThrow(details.FailureDetails.Message);
      await expect(failure).rejects.toThrow('run `cdk destroy` again');
      await expect(failure).rejects.toThrow(
        'aws cloudformation delete-stack --stack-name trainium-cpt-cluster --retain-resources FsxExportOnDelete2F6A8C1D',
      );
      if (Lifecycle === 'FAILED')
        await expect(failure).rejects.toThrow(
          `8 of 10 files exported, 2 failed): Export of 2 files failed: see the report. Files it could not export are listed under ${REPORT_PATH}/`,
        );
    },
  );

  test('waits for the export an earlier destroy left running instead of starting another', async () => {
    const earlier = task({ TaskId: 'task-0earlier00000000', CreationTime: minutes(-40) });
    tasksAre(earlier);
    await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: false });
    // It ends during this delete: that is the export this delete waited for.
    tasksAre({ ...earlier, Lifecycle: 'SUCCEEDED', EndTime: minutes(2) });
    await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: true });
    expect(fsx).not.toHaveReceivedCommand(CreateDataRepositoryTaskCommand);
  });

  test('a running export of the whole file system counts too; one of other paths does not', () => {
    expect(coversPaths(task({ Paths: [] }), ['checkpoints'])).toBe(true);
    expect(coversPaths(task({ Paths: ['/'] }), ['checkpoints'])).toBe(true);
    expect(coversPaths(task({ Paths: ['checkpoints/run-1'] }), ['checkpoints'])).toBe(false);
    expect(coversPaths(task({ Paths: ['checkpoints', 'exports'] }), ['checkpoints'])).toBe(true);
    expect(coversPaths(task({ Type: 'IMPORT_METADATA_FROM_REPOSITORY', Paths: [] }), ['checkpoints'])).toBe(false);
  });

  test("an export that failed before this delete began is not this delete's: a new one starts", async () => {
    tasksAre(task({ TaskId: 'task-0old', Lifecycle: 'FAILED', CreationTime: minutes(-90), EndTime: minutes(-60) }));
    fsx.on(CreateDataRepositoryTaskCommand).resolves({ DataRepositoryTask: task({ Lifecycle: 'PENDING' }) });
    await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: false });
    expect(fsx).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 1);
  });

  test('waits for another running task (FSx runs one at a time), then starts the export', async () => {
    tasksAre(
      task({ TaskId: 'task-0import', Type: 'IMPORT_METADATA_FROM_REPOSITORY', Paths: [], CreationTime: minutes(-5) }),
    );
    await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: false });
    expect(fsx).not.toHaveReceivedCommand(CreateDataRepositoryTaskCommand);

    tasksAre(
      task({
        TaskId: 'task-0import',
        Type: 'IMPORT_METADATA_FROM_REPOSITORY',
        Paths: [],
        Lifecycle: 'SUCCEEDED',
        CreationTime: minutes(-5),
        EndTime: minutes(1),
      }),
    );
    fsx.on(CreateDataRepositoryTaskCommand).resolves({ DataRepositoryTask: task({ Lifecycle: 'PENDING' }) });
    await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: false });
    expect(fsx).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 1);
  });

  test('a task that starts between the listing and the export is waited for, not an error', async () => {
    tasksAre();
    fsx
      .on(CreateDataRepositoryTaskCommand)
      .rejects(new DataRepositoryTaskExecuting({ $metadata: {}, message: 'An existing task is executing' }));
    await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: false });
  });

  test('a throttled or failing FSx API is a poll that learnt nothing, not a failed delete; access errors still fail it', async () => {
    const throttled = () =>
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    fsx.on(DescribeDataRepositoryTasksCommand).rejects(throttled());
    await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: false });

    tasksAre();
    fsx
      .on(CreateDataRepositoryTaskCommand)
      .rejects(
        Object.assign(new Error('internal'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }),
      );
    await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: false });

    fsx
      .on(DescribeDataRepositoryTasksCommand)
      .rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    await expect(isComplete(poll(DELETE_STATE))).rejects.toThrow(
      'DescribeDataRepositoryTasks of fs-0123456789abcdef0 failed (AccessDeniedException: no)',
    );
  });

  test('throttling until the deadline still ends the wait, saying no export could be started', async () => {
    clockAt(new Date(minutes(50).getTime() + 1_000));
    fsx
      .on(DescribeDataRepositoryTasksCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(isComplete(poll(DELETE_STATE))).rejects.toThrow(
      'did not finish within 50 minutes: no export started yet on fs-0123456789abcdef0',
    );
  });

  test('a refused export fails the delete with the API error and the permission it needs', async () => {
    tasksAre();
    fsx
      .on(CreateDataRepositoryTaskCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(isComplete(poll(DELETE_STATE))).rejects.toThrow(
      /CreateDataRepositoryTask on fs-0123456789abcdef0 failed \(AccessDeniedException: not authorized\)\. The export role may start tasks only on file systems tagged parallelcluster:cluster-name=trainium-cpt-pcluster/,
    );
  });

  test('an export still running after ExportTimeoutSeconds fails the delete, naming the task, its progress and what to do', async () => {
    clockAt(new Date(minutes(50).getTime() + 1_000));
    tasksAre(task({ Status: { TotalCount: 5000, SucceededCount: 1200, FailedCount: 0 } }));
    const failure = isComplete(poll(DELETE_STATE));
    await expect(failure).rejects.toThrow(
      'The export to S3 did not finish within 50 minutes: task task-0aaaaaaaaaaaaaaa1 (EXECUTING, 1200 of 5000 files exported, 0 failed) on fs-0123456789abcdef0',
    );
    await expect(failure).rejects.toThrow(
      'wait, then run `cdk destroy` again, which waits for that task if it still runs, or starts a new export that copies only what is still missing',
    );
    await expect(failure).rejects.toThrow('The cluster and its FSx file system were NOT deleted');
  });

  test('an export that succeeds right at the deadline completes the delete', async () => {
    clockAt(minutes(51));
    tasksAre(task({ Lifecycle: 'SUCCEEDED', EndTime: minutes(50) }));
    await expect(isComplete(poll(DELETE_STATE))).resolves.toEqual({ IsComplete: true });
  });

  test('the export of this delete is the newest covering one', () => {
    const older = task({ TaskId: 'task-older', Lifecycle: 'FAILED', CreationTime: minutes(1), EndTime: minutes(2) });
    const newer = task({ TaskId: 'task-newer', Lifecycle: 'EXECUTING', CreationTime: minutes(3) });
    expect(exportTaskOfThisDelete([older, newer], ['checkpoints'], SINCE)?.TaskId).toBe('task-newer');
    expect(
      exportTaskOfThisDelete([task({ Lifecycle: 'CANCELING', CreationTime: minutes(-3) })], ['checkpoints'], SINCE),
    ).toBeUndefined();
  });
});
