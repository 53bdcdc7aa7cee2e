/**
 * Finds, at delete time, the file systems that ParallelCluster created for the cluster: by logical ID in the
 * cluster's own CloudFormation stack (named after the cluster), the one place that names them exactly.
 * DescribeFileSystems cannot filter by tag, and a stack of the same cluster name created later cannot be confused
 * with this one while it exists.
 */
import { CloudFormationClient, paginateListStackResources, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { DescribeFileSystemsCommand, FileSystem, FSxClient } from '@aws-sdk/client-fsx';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  CLUSTER_NAME_TAG_KEY,
  FSX_FILE_SYSTEM_TYPE,
  FsxExportProperties,
  FsxExportTarget,
} from '../../lib/cluster/fsx-export-targets';

export interface LocatedFileSystem {
  readonly target: FsxExportTarget;
  readonly fileSystemId: string;
}

/** Lifecycles in which a file system holds data and FSx can export it. */
const EXPORTABLE = new Set(['AVAILABLE', 'UPDATING']);
/** Lifecycles in which it holds nothing to save (never created, or already going). */
const NOTHING_TO_SAVE = new Set(['CREATING', 'FAILED', 'DELETING']);
/** Stack resource states in which the file system does not exist. */
const ABSENT = new Set(['CREATE_FAILED', 'DELETE_COMPLETE']);

export class LocateError extends Error {}

export async function locateFileSystems(
  props: FsxExportProperties,
  clients: { cloudformation: CloudFormationClient; fsx: FSxClient },
  logger: Logger,
): Promise<LocatedFileSystem[]> {
  const resources = await stackResources(clients.cloudformation, props.ClusterName);
  if (resources === undefined) {
    logger.info('no cluster stack: nothing to export', { stackName: props.ClusterName });
    return [];
  }
  const fileSystems = resources.filter((r) => r.ResourceType === FSX_FILE_SYSTEM_TYPE);
  const unknown = fileSystems.filter((r) => !props.Targets.some((t) => t.LogicalId === r.LogicalResourceId));
  const located: LocatedFileSystem[] = [];
  for (const target of props.Targets) {
    const resource = fileSystems.find((r) => r.LogicalResourceId === target.LogicalId);
    if (resource === undefined && unknown.length > 0) {
      // Never skip an export silently: a file system under another name may be this one (ParallelCluster renamed?).
      throw new LocateError(
        `The cluster stack ${props.ClusterName} has FSx file system(s) ${unknown.map((r) => `${r.LogicalResourceId} (${r.PhysicalResourceId})`).join(', ')} ` +
          `but none with the logical ID ${target.LogicalId} expected for storage "${target.StorageName}", so the export cannot tell which to flush.`,
      );
    }
    const fileSystemId = resource?.PhysicalResourceId;
    if (resource === undefined || !fileSystemId || ABSENT.has(resource.ResourceStatus ?? '')) {
      logger.info('file system never created or already deleted: nothing to export', {
        storage: target.StorageName,
        logicalId: target.LogicalId,
        status: resource?.ResourceStatus,
      });
      continue;
    }
    const fileSystem = await describeFileSystem(clients.fsx, fileSystemId);
    if (usable(fileSystem, target, props.ClusterName, logger)) located.push({ target, fileSystemId });
  }
  return located;
}

/** The stack's resources, or undefined when there is no such stack (the cluster was never created or is gone). */
async function stackResources(
  cloudformation: CloudFormationClient,
  stackName: string,
): Promise<StackResourceSummary[] | undefined> {
  const resources: StackResourceSummary[] = [];
  try {
    for await (const page of paginateListStackResources({ client: cloudformation }, { StackName: stackName })) {
      resources.push(...(page.StackResourceSummaries ?? []));
    }
  } catch (error) {
    const err = error as Error;
    if (err.name === 'ValidationError' && /does not exist/i.test(err.message)) return undefined;
    throw new LocateError(
      `CloudFormation ListStackResources of the cluster stack ${stackName} failed (${err.name}: ${err.message}).`,
    );
  }
  return resources;
}

async function describeFileSystem(fsx: FSxClient, fileSystemId: string): Promise<FileSystem | undefined> {
  try {
    const { FileSystems = [] } = await fsx.send(new DescribeFileSystemsCommand({ FileSystemIds: [fileSystemId] }));
    return FileSystems[0];
  } catch (error) {
    const err = error as Error;
    if (err.name === 'FileSystemNotFound') return undefined;
    throw new LocateError(`FSx DescribeFileSystems of ${fileSystemId} failed (${err.name}: ${err.message}).`);
  }
}

function usable(
  fileSystem: FileSystem | undefined,
  target: FsxExportTarget,
  clusterName: string,
  logger: Logger,
): fileSystem is FileSystem {
  if (fileSystem === undefined) {
    logger.info('file system already deleted: nothing to export', { storage: target.StorageName });
    return false;
  }
  const { FileSystemId: id, Lifecycle: lifecycle = 'unknown' } = fileSystem;
  if (NOTHING_TO_SAVE.has(lifecycle)) {
    logger.info('file system holds nothing to export', { fileSystemId: id, lifecycle });
    return false;
  }
  if (!EXPORTABLE.has(lifecycle)) {
    throw new LocateError(
      `FSx file system ${id} (storage "${target.StorageName}") is ${lifecycle}: FSx cannot export from it now` +
        `${fileSystem.FailureDetails?.Message ? ` (${fileSystem.FailureDetails.Message})` : ''}. Make it AVAILABLE again (FSx console).`,
    );
  }
  // The export role may start tasks only on file systems that carry this tag (lib/cluster/fsx-export-on-delete.ts).
  const tag = fileSystem.Tags?.find((t) => t.Key === CLUSTER_NAME_TAG_KEY)?.Value;
  if (tag !== clusterName) {
    throw new LocateError(
      `FSx file system ${id} of the cluster stack has tag ${CLUSTER_NAME_TAG_KEY}=${tag ?? '(none)'}, not ${clusterName}: ` +
        'the export function may start tasks only on file systems tagged with the cluster name.',
    );
  }
  return true;
}
