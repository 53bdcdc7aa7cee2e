/**
 * Pure rules about data repository tasks: which export task a delete waits for, and how a task's state reads.
 *
 * A delete is stateless across polls: each poll lists the file system's tasks and picks "its" export, the newest
 * EXPORT_TO_REPOSITORY task that covers the paths and is still running, or was created or ended since the delete
 * began. So a task left running by an earlier `cdk destroy` that timed out is waited for instead of doubled, and a
 * task this delete started is found again on the next poll.
 */
import type { DataRepositoryTask } from '@aws-sdk/client-fsx';
import { taskPath } from '../../lib/cluster/fsx-export-targets';

/** Lifecycles of a task that has not ended. FSx runs one task at a time per file system (DataRepositoryTaskExecuting). */
const RUNNING = new Set(['PENDING', 'EXECUTING', 'CANCELING']);

export function isRunning(task: DataRepositoryTask): boolean {
  return RUNNING.has(task.Lifecycle ?? '');
}

/** Whether an export of `task.Paths` includes every one of `wanted` (no paths, or "/", is the whole file system). */
export function coversPaths(task: DataRepositoryTask, wanted: readonly string[]): boolean {
  if (task.Type !== 'EXPORT_TO_REPOSITORY') return false;
  const exported = (task.Paths ?? []).map(taskPath);
  if (exported.length === 0 || exported.includes('')) return true;
  if (wanted.length === 0) return false;
  return wanted.every((path) => exported.some((done) => path === done || path.startsWith(`${done}/`)));
}

/** The export this delete waits for, if any (see the module comment). */
export function exportTaskOfThisDelete(
  tasks: readonly DataRepositoryTask[],
  paths: readonly string[],
  since: Date,
): DataRepositoryTask | undefined {
  const atOrAfter = (time: Date | undefined) => time !== undefined && time.getTime() >= since.getTime();
  return (
    tasks
      .filter((task) => coversPaths(task, paths))
      // A CANCELING export is on its way out: wait for it as for any other task, then start a new one.
      .filter(
        (task) =>
          ['PENDING', 'EXECUTING'].includes(task.Lifecycle ?? '') ||
          atOrAfter(task.CreationTime) ||
          atOrAfter(task.EndTime),
      )
      .sort((a, b) => (b.CreationTime?.getTime() ?? 0) - (a.CreationTime?.getTime() ?? 0))[0]
  );
}

/** What a poll logs of a task: the API reports file counts (TotalCount, SucceededCount, FailedCount), not bytes. */
export function taskProgress(task: DataRepositoryTask) {
  const status = task.Status ?? {};
  return {
    taskId: task.TaskId,
    type: task.Type,
    lifecycle: task.Lifecycle,
    paths: task.Paths ?? [],
    totalFiles: status.TotalCount,
    succeededFiles: status.SucceededCount,
    failedFiles: status.FailedCount,
    lastUpdated: status.LastUpdatedTime?.toISOString(),
  };
}

/** "task-0123 (EXECUTING, 1200 of 5000 files done, 0 failed)": a task in one phrase, for error messages. */
export function describeTask(task: DataRepositoryTask): string {
  const { TotalCount: total, SucceededCount: succeeded, FailedCount: failed } = task.Status ?? {};
  const counts = total !== undefined ? `, ${succeeded ?? 0} of ${total} files exported, ${failed ?? 0} failed` : '';
  const kind = task.Type === 'EXPORT_TO_REPOSITORY' ? '' : `${task.Type} `;
  return `${kind}task ${task.TaskId} (${task.Lifecycle}${counts})`;
}
