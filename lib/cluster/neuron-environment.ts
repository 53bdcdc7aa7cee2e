import { Duration } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { CfnAssociation } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { FSX_MOUNT_DIR } from './cluster-config';
import { runOnHeadNode } from './head-node-commands';
import { NEURON_ENVIRONMENT_SERVICE } from '../training/contract';

export const NEURON_ENVIRONMENT_UNIT_FILE = `/etc/systemd/system/${NEURON_ENVIRONMENT_SERVICE}.service`;
/** Where the association puts the node set-up script on the head node: a fixed place the unit names. */
export const NEURON_ENVIRONMENT_SCRIPT = '/opt/trainium-cpt/neuron-environment/node-setup.sh';
/** The association only installs and starts the service: seconds of work, so a short wait is plenty. */
export const NEURON_ENVIRONMENT_LAUNCH_TIMEOUT_SECONDS = 300;
/**
 * systemd stops a build that runs longer than this (the script then records it as failed; cluster/training/cpt/neuron.py
 * NEURON_BUILD_LIMIT_SECONDS reports a record older than this that says "building" as failed). The build downloads
 * and installs several GB of Python packages onto FSx: minutes to tens of minutes, never hours.
 */
export const NEURON_ENVIRONMENT_BUILD_TIMEOUT = '2h';

/** A Neuron SDK release as the config schema and the node set-up script accept it; nothing else reaches a shell. */
const RELEASE_PATTERN = /^\d+\.\d+\.\d+$/;

export interface NeuronEnvironmentProps {
  /** Neuron SDK release to build (the configuration's neuronSdkVersion). */
  readonly neuronRelease: string;
  /** The node set-up script with that release's pins (NodeSetupScript's asset); the head node must be allowed to read it. */
  readonly nodeSetupScript: s3assets.Asset;
}

/**
 * The Neuron Python environment on FSx (torch-neuronx, neuronx-cc, neuronx-distributed: several GB), built on the
 * head node AFTER the cluster is created, by `cluster/node-setup.sh head RELEASE` run as a systemd service.
 *
 * It is not the head node's OnNodeConfigured action on purpose: ParallelCluster's custom resource must finish within
 * CloudFormation's hour, FSx for Lustre PERSISTENT_2 alone takes 10-20 minutes before the head node starts, and
 * ParallelCluster fails a head node not bootstrapped within HeadNodeBootstrapTimeout (2,100 s by default in 3.16.1).
 *
 * The association (`buildOn`) only installs and starts the service, without waiting for the build: the script,
 * copied to a fixed place by one rename (a build that is running keeps reading its own copy); a unit that
 * needs /fsx, enabled so that a reboot runs it again (the script is idempotent, and then releases jobs still held);
 * `systemctl start --no-block`. The build's progress is in FSX/trainium-cpt/neuron-RELEASE.state.json, which the
 * training chain waits on (cluster/training/cpt-run.sh).
 */
export class NeuronEnvironment extends Construct {
  readonly release: string;
  private readonly script: s3assets.Asset;

  constructor(scope: Construct, id: string, props: NeuronEnvironmentProps) {
    super(scope, id);
    if (!RELEASE_PATTERN.test(props.neuronRelease)) {
      throw new Error(
        `neuronSdkVersion = ${JSON.stringify(props.neuronRelease)}: not a Neuron SDK release. Accepted: x.y.z, such as 2.28.1.`,
      );
    }
    this.release = props.neuronRelease;
    this.script = props.nodeSetupScript;
  }

  /** The systemd unit that builds the environment, line by line. */
  get unitLines(): string[] {
    return [
      '[Unit]',
      `Description=trainium-cpt: build the Neuron SDK ${this.release} Python environment on FSx (node-setup.sh head)`,
      'Wants=network-online.target',
      // slurmctld: after a reboot the script releases the jobs held for the environment. ParallelCluster's cookbook
      // installs it as /etc/systemd/system/slurmctld.service (aws-parallelcluster-cookbook, cookbooks/
      // aws-parallelcluster-slurm/recipes/config/config_slurmctld_systemd_service.rb, commit f75d84c).
      'After=network-online.target remote-fs.target slurmctld.service',
      // The cookbook mounts FSx for Lustre with `noauto,x-systemd.automount` (cookbooks/aws-parallelcluster-environment/
      // resources/lustre/partial/_mount_unmount.rb l. 123): systemd has a mount unit for it, which this pulls in.
      `RequiresMountsFor=${FSX_MOUNT_DIR}`,
      '',
      '[Service]',
      // exec, not oneshot: a oneshot unit wanted by multi-user.target would hold the boot (and units ordered after it,
      // such as cloud-final) for the whole build after a reboot. Nothing waits on the unit: the state file says.
      'Type=exec',
      'Environment=HOME=/root',
      `ExecStart=/bin/bash ${NEURON_ENVIRONMENT_SCRIPT} head ${this.release}`,
      `RuntimeMaxSec=${NEURON_ENVIRONMENT_BUILD_TIMEOUT}`,
      '',
      '[Install]',
      'WantedBy=multi-user.target',
    ];
  }

  /**
   * Installs and starts the build on the head node (which must be allowed to read the script's asset object). A
   * changed unit (another release) restarts the service; an unchanged one is only started, which joins a build
   * already running instead of killing it.
   */
  buildOn(headNodeInstanceId: string): CfnAssociation {
    const script = NEURON_ENVIRONMENT_SCRIPT;
    const unit = NEURON_ENVIRONMENT_UNIT_FILE;
    const unitText = this.unitLines.map((line) => {
      if (line.includes("'")) throw new Error(`internal error: a quote in the unit line ${JSON.stringify(line)}`);
      return ` '${line}'`;
    });
    return runOnHeadNode(this, 'Build', {
      headNodeInstanceId,
      commands: [
        `mkdir -p ${script.slice(0, script.lastIndexOf('/'))}`,
        `aws s3 cp ${this.script.s3ObjectUrl} ${script}.partial --only-show-errors`,
        `chmod 755 ${script}.partial`,
        `mv -f ${script}.partial ${script}`,
        `printf '%s\\n'${unitText.join('')} > ${unit}.partial`,
        `if cmp -s ${unit}.partial ${unit}; then rm -f ${unit}.partial; start=start; else mv -f ${unit}.partial ${unit}; start=restart; fi`,
        'systemctl daemon-reload',
        `systemctl enable ${NEURON_ENVIRONMENT_SERVICE}.service`,
        // Without waiting: the build takes long, and its state is on FSx for the training chain.
        `systemctl "$start" --no-block ${NEURON_ENVIRONMENT_SERVICE}.service`,
      ],
      waitForSuccess: Duration.seconds(NEURON_ENVIRONMENT_LAUNCH_TIMEOUT_SECONDS),
    });
  }
}
