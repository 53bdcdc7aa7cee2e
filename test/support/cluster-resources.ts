import { ClusterResources } from '../../lib/cluster/cluster-config';

/** What the cluster configuration builder needs from the rest of the app, as plain values for its unit tests. */
export const RESOURCES: ClusterResources = {
  headSubnetId: 'subnet-0aaaaaaaaaaaaaaa1',
  computeSubnetId: 'subnet-0bbbbbbbbbbbbbbb2',
  vpcCidr: '10.0.0.0/16',
  efaSecurityGroupId: 'sg-0ccccccccccccccc3',
  datasetsBucketName: 'trainium-cpt-datasets',
  checkpointsBucketName: 'trainium-cpt-checkpoints',
  nodeSetupScript: { bucketName: 'cdk-assets', objectKey: 'abc123.sh' },
  trainingBundle: { bucketName: 'cdk-assets', objectKey: 'def456.zip' },
  metricsAgent: { bucketName: 'cdk-assets', objectKey: '789abc.zip' },
  partition: 'aws',
  trainingPolicyArn: 'arn:aws:iam::123456789012:policy/parallelcluster/trainium-cpt-training-node',
  headNodePolicyArn: 'arn:aws:iam::123456789012:policy/parallelcluster/trainium-cpt-head-node',
};
