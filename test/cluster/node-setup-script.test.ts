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
