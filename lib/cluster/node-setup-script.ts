import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

const CLUSTER_DIR = path.join(__dirname, '..', '..', 'cluster');
const SCRIPT = path.join(CLUSTER_DIR, 'node-setup.sh');
const RELEASES = path.join(CLUSTER_DIR, 'neuron');

/** Neuron releases with tested pins (cluster/neuron/<release>.env). */
export function testedNeuronReleases(): string[] {
  return fs
    .readdirSync(RELEASES)
    .filter((f) => f.endsWith('.env'))
    .map((f) => f.slice(0, -'.env'.length))
    .sort();
}

export interface NodeSetupScriptProps {
  /** Neuron SDK release whose pins the nodes install. */
  readonly neuronRelease: string;
}

/**
 * cluster/node-setup.sh, uploaded as an asset: ParallelCluster runs it on every Trainium node when it is configured
 * (OnNodeConfigured: the Neuron driver), and the head node runs it after the cluster is created, as a systemd service
 * (NeuronEnvironment: the Python environment on FSx). Both fetch a single file, so the files the script sources and
 * the release's pins are written into the uploaded copy: the nodes need nothing else from this repository.
 */
export class NodeSetupScript extends Construct {
  readonly asset: s3assets.Asset;

  constructor(scope: Construct, id: string, props: NodeSetupScriptProps) {
    super(scope, id);
    const tested = testedNeuronReleases();
    if (!tested.includes(props.neuronRelease)) {
      throw new Error(
        `neuronSdkVersion = "${props.neuronRelease}": no tested pins in cluster/neuron/. Accepted: ${tested.join(', ')}.`,
      );
    }
    this.asset = new s3assets.Asset(this, 'Asset', { path: bundle(props.neuronRelease) });
  }
}

/**
 * A line of node-setup.sh that sources a file next to it, with the shellcheck directive above it:
 *   # shellcheck source=FILE
 *   . "$HERE/FILE"
 */
const SOURCED = /^# shellcheck source=(\S+)\n\. "\$HERE\/\1"$/gm;

/**
 * The script as one file: the files it sources (its roles, and the shell prelude it shares with the training scripts)
 * written in place of the lines that source them, and the pins of `release` in place of the line that would read
 * them from a file.
 */
export function bundledScript(release: string): string {
  const script = fs.readFileSync(SCRIPT, 'utf8');
  const pins = fs.readFileSync(path.join(RELEASES, `${release}.env`), 'utf8');
  const marker = /^# @pins@.*$/m;
  if (!marker.test(script)) throw new Error(`${SCRIPT} lacks the "# @pins@" line where the release's pins go`);
  const inlined = script.replace(SOURCED, (_line, file: string) =>
    fs
      .readFileSync(path.join(CLUSTER_DIR, file), 'utf8')
      .replace(/^# shellcheck shell=bash\n/, '')
      .trimEnd(),
  );
  const leftover = /^\. "\$HERE\/.*$/m.exec(inlined);
  if (leftover) {
    throw new Error(`${SCRIPT}: "${leftover[0]}" has no "# shellcheck source=" line above it naming the same file`);
  }
  return inlined.replace(marker, `CPT_PINS_INLINED=${release}\n${pins.trimEnd()}`);
}

function bundle(release: string): string {
  const content = bundledScript(release);
  // A folder named after the content keeps the asset hash stable and concurrent syntheses apart.
  const digest = createHash('sha256').update(content).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `trainium-cpt-node-setup-${digest}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'node-setup.sh');
  fs.writeFileSync(file, content, { mode: 0o755 });
  return file;
}
