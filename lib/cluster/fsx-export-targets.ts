import { createHash } from 'crypto';
import type { PclusterConfig } from './cluster-config';

/**
 * What the FSx export on `cdk destroy` works on, derived from the cluster configuration, and the contract between the
 * construct (lib/cluster/fsx-export-on-delete.ts) and its Lambda (lambda/fsx-export).
 */

/** ParallelCluster tags its stack with this key and the cluster's name; CloudFormation passes stack tags on to FSx. */
export const CLUSTER_NAME_TAG_KEY = 'parallelcluster:cluster-name';
/** Resource type of the file systems ParallelCluster creates in its cluster stack. */
export const FSX_FILE_SYSTEM_TYPE = 'AWS::FSx::FileSystem';
/**
 * Where, inside an exporting association's S3 path, FSx writes the list of files an export failed to write
 * (`{path}/task-{id}/failures.csv`, per the CompletionReport API). A name no run can take (run names start with a
 * letter or digit), so it never mixes with a run's checkpoints.
 */
export const EXPORT_REPORT_FOLDER = '_fsx-export-reports';

/** One managed FSx for Lustre file system of the cluster, and what to export from it before it is deleted. */
export interface FsxExportTarget {
  /** The storage's name in the configuration (`SharedStorage[].Name`). */
  readonly StorageName: string;
  /** Logical ID of the file system in ParallelCluster's cluster stack. */
  readonly LogicalId: string;
  /**
   * Paths to export, relative to the file system's root as CreateDataRepositoryTask wants them ("checkpoints" for
   * the association at /checkpoints); empty for the whole file system.
   */
  readonly Paths: string[];
  /** Where FSx writes the report of files it failed to export: inside an exporting association's S3 path. */
  readonly ReportPath: string;
}

/** Properties of the custom resource (CloudFormation hands numbers over as strings). */
export interface FsxExportProperties {
  /** Name of the cluster, which is also the name of ParallelCluster's stack. */
  readonly ClusterName: string;
  readonly Targets: FsxExportTarget[];
  /** How long a delete waits for the exports before it fails. */
  readonly ExportTimeoutSeconds: string;
}

/**
 * Logical ID that ParallelCluster gives a managed file system in its cluster stack: the storage type's enum name and
 * the first 16 hex digits of the SHA-1 of the storage's name, "capitalized" the Python way (first character upper,
 * the rest lower), except for a storage named HeadNode, whose name is kept. aws-parallelcluster v3.16.1
 * cli/src/pcluster/templates/cluster_stack.py line 983:
 * `cfn_resource_id = "{0}{1}".format(storage.shared_storage_type.name, create_hash_suffix(storage.name))`, and
 * create_hash_suffix in templates/cdk_builder_utils.py line 70 (the same in v3.12: cluster_stack.py line 929);
 * test/cluster/pcluster-facts.test.ts runs that code.
 */
export function pclusterFsxLogicalId(storageName: string): string {
  if (storageName === 'HeadNode') return 'FSXHeadNode';
  const digest = createHash('sha1').update(storageName, 'utf8').digest('hex').slice(0, 16);
  return `FSX${digest.charAt(0).toUpperCase()}${digest.slice(1).toLowerCase()}`;
}

/**
 * The managed FSx for Lustre file systems whose data repository associations export to S3 (those with an
 * AutoExportPolicy), and their exporting paths. File systems of the configuration that ParallelCluster does not
 * create (an existing FileSystemId) are not ours to flush; the schema here has none.
 */
export function fsxExportTargets(pcluster: PclusterConfig): FsxExportTarget[] {
  return pcluster.SharedStorage.filter((storage) => storage.StorageType === 'FsxLustre').flatMap((storage) => {
    const exporting = storage.FsxLustreSettings.DataRepositoryAssociations.filter(
      (association) => (association.AutoExportPolicy ?? []).length > 0,
    );
    if (exporting.length === 0) return [];
    const paths = exporting.map((association) => taskPath(association.FileSystemPath));
    return [
      {
        StorageName: storage.Name,
        LogicalId: pclusterFsxLogicalId(storage.Name),
        // An association at the root ("/") exports the whole file system: no paths means the root.
        Paths: paths.includes('') ? [] : paths,
        ReportPath: `${exporting[0].DataRepositoryPath.replace(/\/+$/, '')}/${EXPORT_REPORT_FOLDER}`,
      },
    ];
  });
}

/**
 * An association's FileSystemPath ("/checkpoints", leading slash required) as a task path: relative to the mount
 * point ("if the mount point is /mnt/fsx and /mnt/fsx/path1 is a directory ... the path to provide is path1",
 * CreateDataRepositoryTask API reference), so without the leading (or a trailing) slash; "" for the root.
 */
export function taskPath(fileSystemPath: string): string {
  return fileSystemPath.replace(/^\/+/, '').replace(/\/+$/, '');
}
