import * as fs from 'fs';
import * as path from 'path';
import { bundledScript, testedNeuronReleases } from '../../lib/cluster/node-setup-script';
import { REPO_ROOT } from '../support/app';

/**
 * The copy of cluster/node-setup.sh that is uploaded: one file, with the release's pins written in. How the nodes run
 * that copy (and that it is shellcheck-clean) is tested in cluster/tests, on this same function's output.
 */
const script = bundledScript('2.28.1');

test('carries the pins of its release in place of the marker line', () => {
  expect(script).not.toMatch(/^# @pins@/m);
  expect(script).toContain('CPT_PINS_INLINED=2.28.1\n');
  const pins = fs.readFileSync(path.join(REPO_ROOT, 'cluster', 'neuron', '2.28.1.env'), 'utf8');
  for (const assignment of pins.match(/^[A-Z_]+=.*$/gm) ?? []) expect(script).toContain(`${assignment}\n`);
  expect(testedNeuronReleases()).toEqual(['2.28.1']);
});

test('carries the files the script sources (its roles, the prelude it shares with the training scripts) in place of their lines', () => {
  expect(script).not.toMatch(/^\. "\$HERE\//m);
  for (const file of ['training/prelude.sh', 'node-setup-compute.sh', 'node-setup-head.sh']) {
    const text = fs
      .readFileSync(path.join(REPO_ROOT, 'cluster', file), 'utf8')
      .replace(/^# shellcheck shell=bash\n/, '');
    expect(script).toContain(text.trimEnd());
  }
  expect(script.match(/^on_error\(\) \{$/gm)).toHaveLength(1);
});
