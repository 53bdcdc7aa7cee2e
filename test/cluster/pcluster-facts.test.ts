/**
 * Names this app relies on, held against what ParallelCluster's own code (the 3.16.1 wheel in .venv-pcluster) gives
 * for them: run, not read (test/cluster/pcluster_facts.py).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLUSTER_NAME_TAG_KEY, pclusterFsxLogicalId } from '../../lib/cluster/fsx-export-targets';
import { REPO_ROOT } from '../support/app';

const STORAGE_NAMES = ['fsx', 'scratch', 'Data-1', 'HeadNode'];
const facts = JSON.parse(
  execFileSync(
    path.join(REPO_ROOT, '.venv-pcluster', 'bin', 'python'),
    [path.join(__dirname, 'pcluster_facts.py'), ...STORAGE_NAMES],
    {
      encoding: 'utf8',
    },
  ),
);
const rules = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures', 'parallelcluster-provider-rules.json'), 'utf8'),
);

test.each(STORAGE_NAMES)(
  "the FSx export finds storage %s under the logical ID ParallelCluster's stack gives it",
  (name) => {
    expect(pclusterFsxLogicalId(name)).toBe(facts.fsxLogicalIds[name]);
  },
);

test("the export's tag condition names the tag ParallelCluster puts on its stack", () => {
  expect(CLUSTER_NAME_TAG_KEY).toBe(facts.clusterNameTag);
});

test("the permission rules' node role and added policy are ParallelCluster's", () => {
  expect(rules.nodeRoleArn).toMatch(
    new RegExp(`^arn:\\$\\{Partition\\}:iam::\\$\\{AccountId\\}:role${facts.iamRolePath}\\$\\{ClusterName\\}/`),
  );
  expect(rules.attachedByParallelCluster.whenCloudWatchLogsEnabled).toEqual([
    facts.cloudWatchAgentPolicyArn.replace(':aws:', ':${Partition}:'),
  ]);
});
