/**
 * Custom resource (CDK Provider framework, asynchronous) that flushes the cluster's FSx for Lustre file systems to S3
 * before the cluster is deleted: the resource depends on the cluster, so CloudFormation deletes it first.
 *
 * Create and Update do nothing. Delete:
 *   onEvent     finds the file systems in ParallelCluster's stack (./locate.ts) and notes when the delete began;
 *   isComplete  every poll, per file system: waits for "its" EXPORT_TO_REPOSITORY task over the exporting paths
 *               (./export-task.ts), starting one when there is none; fails the delete when a task fails or is
 *               cancelled, or when the exports outlast ExportTimeoutSeconds.
 * A failed delete leaves the cluster and its file system in place: nothing is lost, and `cdk destroy` can be run again.
 *
 * Properties: lib/cluster/fsx-export-targets.ts (FsxExportProperties).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  CreateDataRepositoryTaskCommand,
  DataRepositoryTask,
  FSxClient,
  paginateDescribeDataRepositoryTasks,
} from '@aws-sdk/client-fsx';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { CLUSTER_NAME_TAG_KEY, FsxExportProperties, FsxExportTarget } from '../../lib/cluster/fsx-export-targets';
import { describeTask, exportTaskOfThisDelete, isRunning, taskProgress } from './export-task';
import { LocatedFileSystem, LocateError, locateFileSystems } from './locate';
import { CLIENT_OPTIONS } from '../shared/client-options';

const logger = new Logger({ serviceName: 'trainium-fsx-export' });

const cloudformation = new CloudFormationClient(CLIENT_OPTIONS);
const fsx = new FSxClient(CLIENT_OPTIONS);

export interface OnEventResult {
  PhysicalResourceId: string;
  Data?: DeleteState;
}

/** What onEvent hands to every isComplete call of a delete (strings: it travels through CloudFormation's response). */
export interface DeleteState {
  /** When the delete began (ISO 8601). */
  Since: string;
  /** The located file systems as `<LogicalId>=<FileSystemId>`, comma-separated; empty when there is nothing to export. */
  FileSystems: string;
}

/** The request as the provider framework passes it to isComplete: with what onEvent returned merged in. */
export type IsCompleteEvent = CloudFormationCustomResourceEvent & {
  PhysicalResourceId?: string;
  Data?: Partial<DeleteState>;
};

export async function onEvent(event: CloudFormationCustomResourceEvent): Promise<OnEventResult> {
  return explained(event, () => handleEvent(event));
}

export async function isComplete(event: IsCompleteEvent): Promise<{ IsComplete: boolean }> {
  return explained(event, () => checkCompletion(event));
}

async function handleEvent(event: CloudFormationCustomResourceEvent): Promise<OnEventResult> {
  const props = properties(event);
  logger.info('request', { requestType: event.RequestType, clusterName: props.ClusterName, targets: props.Targets });
  if (event.RequestType === 'Create') return { PhysicalResourceId: `${props.ClusterName}-fsx-export-on-delete` };
  if (event.RequestType === 'Update') return { PhysicalResourceId: event.PhysicalResourceId };

  const located = await locateFileSystems(props, { cloudformation, fsx }, logger);
  logger.info('file systems to export', {
    located: located.map((l) => ({ fileSystemId: l.fileSystemId, paths: l.target.Paths })),
  });
  return {
    PhysicalResourceId: event.PhysicalResourceId,
    Data: {
      Since: new Date().toISOString(),
      FileSystems: located.map((l) => `${l.target.LogicalId}=${l.fileSystemId}`).join(','),
    },
  };
}

async function checkCompletion(event: IsCompleteEvent): Promise<{ IsComplete: boolean }> {
  if (event.RequestType !== 'Delete') return { IsComplete: true };
  const props = properties(event);
  const since = new Date(event.Data?.Since ?? Date.now());
  const located = parseLocated(event.Data?.FileSystems ?? '', props.Targets);

  const states = [];
  for (const fileSystem of located) states.push(await pollExport(fileSystem, since, props.ClusterName));
  const unfinished = states.filter((state) => !state.done);
  if (unfinished.length === 0) {
    logger.info('every export is complete: the cluster may be deleted', {
      fileSystems: located.map((l) => l.fileSystemId),
    });
    return { IsComplete: true };
  }
  const timeoutMs = Number(props.ExportTimeoutSeconds) * 1000;
  if (Date.now() - since.getTime() >= timeoutMs) {
    const where = unfinished
      .map((s) => `${s.task ? describeTask(s.task) : 'no export started yet'} on ${s.fileSystemId}`)
      .join('; ');
    throw new DeleteFailure(
      `The export to S3 did not finish within ${Math.round(timeoutMs / 60_000)} minutes: ${where}. ` +
        'FSx goes on with it: wait, then run `cdk destroy` again, which waits for that task if it still runs, or starts a new export ' +
        'that copies only what is still missing',
    );
  }
  return { IsComplete: false };
}

interface ExportState {
  readonly fileSystemId: string;
  readonly done: boolean;
  /** The task it waits for: its export, or another task that must end before the export can start. */
  readonly task?: DataRepositoryTask;
}

/** One poll of one file system: look at its export, or start it once no other task is running. */
async function pollExport(located: LocatedFileSystem, since: Date, clusterName: string): Promise<ExportState> {
  const { fileSystemId, target } = located;
  const tasks = await listTasks(fileSystemId);
  if (tasks === undefined) return { fileSystemId, done: false };
  const task = exportTaskOfThisDelete(tasks, target.Paths, since);
  if (task !== undefined) {
    logger.info('export progress', { fileSystemId, ...taskProgress(task) });
    if (task.Lifecycle === 'SUCCEEDED') return { fileSystemId, done: true, task };
    if (task.Lifecycle === 'FAILED' || task.Lifecycle === 'CANCELED')
      throw new DeleteFailure(failureMessage(task, target));
    return { fileSystemId, done: false, task };
  }
  const blocking = tasks.find(isRunning);
  if (blocking !== undefined) {
    // FSx runs one task at a time per file system: an import, a release or a narrower export must end first.
    logger.info('waiting for another task to end before exporting', { fileSystemId, ...taskProgress(blocking) });
    return { fileSystemId, done: false, task: blocking };
  }
  return startExport(located, clusterName);
}

async function startExport({ fileSystemId, target }: LocatedFileSystem, clusterName: string): Promise<ExportState> {
  try {
    const { DataRepositoryTask: task } = await fsx.send(
      new CreateDataRepositoryTaskCommand({
        Type: 'EXPORT_TO_REPOSITORY',
        FileSystemId: fileSystemId,
        ...(target.Paths.length > 0 ? { Paths: target.Paths } : {}),
        Report: { Enabled: true, Path: target.ReportPath, Format: 'REPORT_CSV_20191124', Scope: 'FAILED_FILES_ONLY' },
      }),
    );
    logger.info('export started', { fileSystemId, ...(task ? taskProgress(task) : {}) });
    return { fileSystemId, done: false, task };
  } catch (error) {
    const err = error as Error;
    if (err.name === 'DataRepositoryTaskExecuting') {
      logger.info('another task started meanwhile: exporting after it', { fileSystemId });
      return { fileSystemId, done: false };
    }
    if (err.name === 'FileSystemNotFound') {
      logger.warn('file system deleted meanwhile: nothing to export', { fileSystemId });
      return { fileSystemId, done: true };
    }
    if (isTransient(err)) {
      logger.warn('FSx did not answer this poll: trying again at the next one', {
        fileSystemId,
        error: `${err.name}: ${err.message}`,
      });
      return { fileSystemId, done: false };
    }
    const hint = /AccessDenied|Unauthorized/.test(err.name)
      ? ` The export role may start tasks only on file systems tagged ${CLUSTER_NAME_TAG_KEY}=${clusterName}.`
      : '';
    throw new DeleteFailure(
      `FSx CreateDataRepositoryTask on ${fileSystemId} failed (${err.name}: ${err.message}).${hint}`,
    );
  }
}

/** The file system's tasks; undefined when FSx did not answer this time (the next poll asks again). */
async function listTasks(fileSystemId: string): Promise<DataRepositoryTask[] | undefined> {
  const tasks: DataRepositoryTask[] = [];
  const pages = paginateDescribeDataRepositoryTasks(
    { client: fsx },
    { Filters: [{ Name: 'file-system-id', Values: [fileSystemId] }] },
  );
  try {
    for await (const page of pages) tasks.push(...(page.DataRepositoryTasks ?? []));
  } catch (error) {
    const err = error as Error;
    if (isTransient(err)) {
      logger.warn('FSx did not answer this poll: trying again at the next one', {
        fileSystemId,
        error: `${err.name}: ${err.message}`,
      });
      return undefined;
    }
    throw new DeleteFailure(`FSx DescribeDataRepositoryTasks of ${fileSystemId} failed (${err.name}: ${err.message}).`);
  }
  return tasks;
}

const TRANSIENT_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'RequestTimeout',
  'TimeoutError',
]);

/**
 * Throttling, a server error or a timeout that outlasted the SDK's own retries: a poll that learnt nothing, not a
 * failed delete (the deadline still bounds the wait). Access and validation errors fail at once.
 */
export function isTransient(error: Error): boolean {
  const { $retryable, $metadata } = error as Error & { $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  return Boolean($retryable) || ($metadata?.httpStatusCode ?? 0) >= 500 || TRANSIENT_ERRORS.has(error.name);
}

function failureMessage(task: DataRepositoryTask, target: FsxExportTarget): string {
  const details = task.FailureDetails?.Message ? `: ${task.FailureDetails.Message}` : '';
  const report =
    task.Lifecycle === 'FAILED' ? ` Files it could not export are listed under ${target.ReportPath}/.` : '';
  return (
    `The export to S3 of ${target.Paths.length > 0 ? target.Paths.join(', ') : 'the whole file system'} on ${task.FileSystemId} ` +
    `ended ${task.Lifecycle}: ${describeTask(task)}${details}.${report} Fix the cause, then run \`cdk destroy\` again (it starts a new export)`
  );
}

/** A problem that stops a delete, in words meant for the person running `cdk destroy`. */
export class DeleteFailure extends Error {}

/**
 * Runs a handler and words any failure for CloudFormation's event list: what went wrong, that nothing was deleted,
 * and both ways on: run `cdk destroy` again, or delete without the export by leaving this resource out
 * (CloudFormation accepts --retain-resources once the stack is DELETE_FAILED).
 */
async function explained<T>(event: CloudFormationCustomResourceEvent, handle: () => Promise<T>): Promise<T> {
  try {
    return await handle();
  } catch (error) {
    const err = error as Error;
    const problem =
      err instanceof DeleteFailure || err instanceof LocateError
        ? err.message
        : `Unexpected error (${err.name}: ${err.message}).`;
    if (event.RequestType !== 'Delete') throw new Error(problem, { cause: error });
    const stackName = event.StackId.split('/')[1] ?? event.StackId;
    throw new DeleteFailure(
      `FSx export before deleting the cluster: ${problem.replace(/\.?$/, '.')} The cluster and its FSx file system were NOT deleted: ` +
        'nothing is lost. To delete without exporting (files on FSx not yet in S3 are lost): ' +
        `aws cloudformation delete-stack --stack-name ${stackName} --retain-resources ${event.LogicalResourceId}`,
    );
  }
}

function properties(event: CloudFormationCustomResourceEvent): FsxExportProperties {
  const props = event.ResourceProperties as unknown as FsxExportProperties;
  return { ...props, Targets: props.Targets ?? [] };
}

function parseLocated(value: string, targets: readonly FsxExportTarget[]): LocatedFileSystem[] {
  return value
    .split(',')
    .filter((entry) => entry.includes('='))
    .flatMap((entry) => {
      const [logicalId, fileSystemId] = entry.split('=');
      const target = targets.find((t) => t.LogicalId === logicalId);
      return target ? [{ target, fileSystemId }] : [];
    });
}
