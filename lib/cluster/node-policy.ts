import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * IAM path of every customer managed policy that the cluster configuration attaches to a node. ParallelCluster's
 * provider creates the node roles (under role/parallelcluster/<cluster>/) and attaches their policies with its own
 * role, whose admin policy allows iam:AttachRolePolicy only for policy ARNs like `policy/parallelcluster*` and
 * `policy/parallelcluster/*`, and a short list of AWS managed ones (Sid IamPolicy of
 * cloudformation/policies/parallelcluster-policies.yaml; kept as data in test/cluster/fixtures/). A path rather than a
 * name prefix keeps CloudFormation's generated, account-unique names.
 */
export const NODE_POLICY_PATH = '/parallelcluster/';

/** A managed policy for a node of the cluster: under NODE_POLICY_PATH, so that the provider may attach it. */
export function nodePolicy(
  scope: Construct,
  id: string,
  props: Omit<iam.ManagedPolicyProps, 'path'>,
): iam.ManagedPolicy {
  return new iam.ManagedPolicy(scope, id, { ...props, path: NODE_POLICY_PATH });
}
