import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { CfnAssociation } from 'aws-cdk-lib/aws-ssm';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { TRAINING_ROOT } from '../training/contract';
import { runOnHeadNode } from './head-node-commands';

/**
 * The training scripts (cluster/training, without its tests), uploaded as an asset and unpacked on FSx at
 * `/fsx/trainium-cpt/training/<content hash>/` by an SSM association on the head node (`unpackOn`), at every
 * deployment that changes them. A folder per content: a running chain keeps its own copy, and a new bundle never needs a cluster
 * update. CloudFormation waits for the association, so a bundle that cannot be unpacked fails the deployment.
 */
export class TrainingBundle extends Construct {
  readonly asset: s3assets.Asset;
  /** Where cpt-run.sh is on the cluster: what the training function runs. */
  readonly dir: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.asset = new s3assets.Asset(this, 'Asset', {
      path: path.join(__dirname, '..', '..', 'cluster', 'training'),
      exclude: ['tests', '__pycache__', '*.pyc'],
    });
    this.dir = `${TRAINING_ROOT}/${this.asset.assetHash.slice(0, 20)}`;
  }

  /** Unpacks the bundle on the head node (which must be allowed to read the asset object). */
  unpackOn(headNodeInstanceId: string): CfnAssociation {
    const partial = `${this.dir}.partial`;
    return runOnHeadNode(this, 'Unpack', {
      headNodeInstanceId,
      commands: [
        `if [ -f ${this.dir}/cpt-run.sh ]; then exit 0; fi`,
        `rm -rf ${partial} && mkdir -p ${partial}`,
        `aws s3 cp ${this.asset.s3ObjectUrl} ${partial}/bundle.zip --only-show-errors`,
        `python3 -m zipfile -e ${partial}/bundle.zip ${partial}`,
        `rm ${partial}/bundle.zip`,
        // One rename on the same file system: the folder appears whole or not at all.
        `mv -T ${partial} ${this.dir}`,
      ],
      waitForSuccess: Duration.minutes(10),
    });
  }
}
