import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import {
  NEURON_ENVIRONMENT_BUILD_TIMEOUT,
  NEURON_ENVIRONMENT_LAUNCH_TIMEOUT_SECONDS,
  NeuronEnvironment,
} from '../../lib/cluster/neuron-environment';
import { NEURON_ENVIRONMENT_SERVICE } from '../../lib/training/contract';
import { REPO_ROOT, synthApp } from '../support/app';
import { flatten, resource } from '../monitoring/support';
import { headNodeAssociation } from '../support/resources';

/**
 * The Neuron Python environment is built after the cluster is created, by a systemd service that an SSM association
 * installs and starts without waiting (the head node's bootstrap must stay short: see cluster-config.test.ts).
 */
const { stacks } = synthApp();
const template = Template.fromStack(stacks.cluster);
const association = resource(template, 'AWS::SSM::Association', 'NeuronEnvironmentBuild');
const commands: string[] = association.Properties.Parameters.commands.map(flatten);
const [clusterResource] = Object.values(template.findResources('Custom::PclusterCluster'));
const { HeadNode, Scheduling } = clusterResource.Properties.ClusterConfiguration;

const SCRIPT = '/opt/trainium-cpt/neuron-environment/node-setup.sh';
const UNIT = '/etc/systemd/system/trainium-cpt-neuron-environment.service';
const UNIT_LINES = [
  '[Unit]',
  'Description=trainium-cpt: build the Neuron SDK 2.28.1 Python environment on FSx (node-setup.sh head)',
  'Wants=network-online.target',
  'After=network-online.target remote-fs.target slurmctld.service',
  'RequiresMountsFor=/fsx',
  '',
  '[Service]',
  'Type=exec',
  'Environment=HOME=/root',
  `ExecStart=/bin/bash ${SCRIPT} head 2.28.1`,
  'RuntimeMaxSec=2h',
  '',
  '[Install]',
  'WantedBy=multi-user.target',
];

test('runs on the head node, and the deployment waits only for the launch, not for the build', () => {
  expect(association.Properties).toMatchObject(headNodeAssociation(300));
  expect(NEURON_ENVIRONMENT_LAUNCH_TIMEOUT_SECONDS).toBeLessThan(600);
  const systemctl = commands.filter((c) => /systemctl .*(start|restart)/.test(c));
  expect(systemctl).toEqual([`systemctl "$start" --no-block ${NEURON_ENVIRONMENT_SERVICE}.service`]);
  // The build runs only in the unit (written by printf), never in the association itself.
  const run = commands.filter((c) => !c.startsWith('printf '));
  expect(run.join('\n')).not.toMatch(/node-setup\.sh head|\bwait\b|is-active|journalctl/);
  expect(commands.join('\n')).toContain(
    'ExecStart=/bin/bash /opt/trainium-cpt/neuron-environment/node-setup.sh head 2.28.1',
  );
});

test('copies the node set-up script with the release’s pins to a fixed place, whole (one rename)', () => {
  const scriptObject = JSON.stringify(Scheduling.SlurmQueues[0].CustomActions.OnNodeConfigured.Script);
  const key = /([0-9a-f]{64}\.sh)/.exec(scriptObject)?.[1] as string;
  expect(key).toBeDefined();
  // The very object the Trainium nodes run, which the head node may read.
  expect(HeadNode.Iam.S3Access).toContainEqual({ BucketName: expect.anything(), KeyName: key });
  expect(commands.slice(0, 5)).toEqual([
    'set -eu',
    'mkdir -p /opt/trainium-cpt/neuron-environment',
    `aws s3 cp s3://cdk-hnb659fds-assets-\${AWS::AccountId}-\${AWS::Region}/${key} ${SCRIPT}.partial --only-show-errors`,
    `chmod 755 ${SCRIPT}.partial`,
    `mv -f ${SCRIPT}.partial ${SCRIPT}`,
  ]);
});

test('writes a unit that needs /fsx and is enabled, so that a reboot runs it again', () => {
  const printf = commands.find((c) => c.startsWith("printf '%s\\n' ")) as string;
  expect(printf).toBe(`printf '%s\\n' ${UNIT_LINES.map((l) => `'${l}'`).join(' ')} > ${UNIT}.partial`);
  expect(commands.slice(6)).toEqual([
    `if cmp -s ${UNIT}.partial ${UNIT}; then rm -f ${UNIT}.partial; start=start; else mv -f ${UNIT}.partial ${UNIT}; start=restart; fi`,
    'systemctl daemon-reload',
    `systemctl enable ${NEURON_ENVIRONMENT_SERVICE}.service`,
    `systemctl "$start" --no-block ${NEURON_ENVIRONMENT_SERVICE}.service`,
  ]);
});

describe('run by dash, as SSM runs it (aws and systemctl recorded, paths moved into a temporary folder)', () => {
  const dash = fs.existsSync('/usr/bin/dash') ? '/usr/bin/dash' : '/bin/sh';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-neuron-env-'));
  const bin = path.join(root, 'bin');
  const record = path.join(root, 'record.txt');
  fs.mkdirSync(bin);
  fs.mkdirSync(path.join(root, 'etc', 'systemd', 'system'), { recursive: true });
  fs.writeFileSync(
    path.join(bin, 'aws'),
    `#!/bin/sh\necho "aws $*" >> ${record}\nprintf '#!/bin/bash\\n# node-setup.sh\\n' > "$4"\n`,
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(bin, 'systemctl'), `#!/bin/sh\necho "systemctl $*" >> ${record}\n`, { mode: 0o755 });
  const moved = (lines: string[]) =>
    lines
      .map((l) => l.replace(/\$\{AWS::AccountId\}/g, '123456789012').replace(/\$\{AWS::Region\}/g, 'us-east-1'))
      .map((l) =>
        l.replaceAll('/opt/trainium-cpt', `${root}/opt/trainium-cpt`).replaceAll('/etc/systemd', `${root}/etc/systemd`),
      );
  const run = (lines: string[]) => {
    fs.rmSync(record, { force: true });
    execFileSync(dash, ['-c', moved(lines).join('\n')], { env: { PATH: `${bin}:/usr/bin:/bin` } });
    return fs.readFileSync(record, 'utf8').trim().split('\n');
  };
  const unitFile = `${root}${UNIT}`;
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('the first time: the script in place, the unit written, enabled and started without waiting', () => {
    expect(run(commands)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^aws s3 cp s3://cdk-hnb659fds-assets-123456789012-us-east-1/[0-9a-f]{64}\\.sh ${root}${SCRIPT}\\.partial --only-show-errors$`,
        ),
      ),
      'systemctl daemon-reload',
      `systemctl enable ${NEURON_ENVIRONMENT_SERVICE}.service`,
      `systemctl restart --no-block ${NEURON_ENVIRONMENT_SERVICE}.service`,
    ]);
    expect(fs.readFileSync(`${root}${SCRIPT}`, 'utf8')).toBe('#!/bin/bash\n# node-setup.sh\n');
    expect(fs.statSync(`${root}${SCRIPT}`).mode & 0o777).toBe(0o755);
    expect(fs.readFileSync(unitFile, 'utf8')).toBe(moved(UNIT_LINES).join('\n') + '\n');
    expect(fs.readdirSync(path.dirname(unitFile))).toEqual([path.basename(UNIT)]);
    expect(fs.readdirSync(path.dirname(`${root}${SCRIPT}`))).toEqual(['node-setup.sh']);
    // systemd itself accepts the unit (where it is installed; Ubuntu 22.04's head node has systemd 249).
    if (fs.existsSync('/usr/bin/systemd-analyze')) {
      const verified = spawnSync('/usr/bin/systemd-analyze', ['verify', '--man=no', unitFile], { encoding: 'utf8' });
      expect([verified.status, verified.stderr]).toEqual([0, '']); // warnings (an unknown Type=...) go to stderr
    }
  });

  test('again with the same unit (a new script, a reboot): only started, which joins a build already running', () => {
    const before = fs.statSync(unitFile).mtimeMs;
    expect(run(commands).slice(-1)).toEqual([`systemctl start --no-block ${NEURON_ENVIRONMENT_SERVICE}.service`]);
    expect(fs.statSync(unitFile).mtimeMs).toBe(before);
    expect(fs.readdirSync(path.dirname(unitFile))).toEqual([path.basename(UNIT)]);
  });

  test('with another release: the unit is replaced and the service restarted', () => {
    const other = commands.map((c) => c.replaceAll('2.28.1', '2.28.9'));
    expect(run(other).slice(-1)).toEqual([`systemctl restart --no-block ${NEURON_ENVIRONMENT_SERVICE}.service`]);
    expect(fs.readFileSync(unitFile, 'utf8')).toContain(`ExecStart=/bin/bash ${root}${SCRIPT} head 2.28.9\n`);
  });
});

test('only a release of digits and dots reaches the commands', () => {
  const stack = new Stack();
  const asset = new s3assets.Asset(stack, 'Script', { path: path.join(REPO_ROOT, 'cluster', 'node-setup.sh') });
  for (const release of ['2.28.1; reboot', "2.28.1' && id '", '2.28', '$(id)']) {
    expect(
      () =>
        new NeuronEnvironment(stack, `Env${release.length}${release.charCodeAt(5)}`, {
          neuronRelease: release,
          nodeSetupScript: asset,
        }),
    ).toThrow(
      `neuronSdkVersion = ${JSON.stringify(release)}: not a Neuron SDK release. Accepted: x.y.z, such as 2.28.1.`,
    );
  }
  const env = new NeuronEnvironment(stack, 'Ok', { neuronRelease: '2.27.3', nodeSetupScript: asset });
  expect(env.unitLines).toContain(`ExecStart=/bin/bash ${SCRIPT} head 2.27.3`);
});

test('the training chain names the same service in its errors, and knows how long the service lets a build run', () => {
  const cptLib = fs.readFileSync(path.join(REPO_ROOT, 'cluster', 'training', 'cpt', 'neuron.py'), 'utf8');
  expect(cptLib).toContain(`NEURON_SERVICE = "${NEURON_ENVIRONMENT_SERVICE}"`);
  expect(NEURON_ENVIRONMENT_BUILD_TIMEOUT).toBe('2h');
  expect(cptLib).toContain('NEURON_BUILD_LIMIT_SECONDS = 2 * 3600\n');
});
