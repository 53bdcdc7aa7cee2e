import * as fs from 'fs';
import * as path from 'path';
import { DEFAULTS_CONTEXT_KEY } from '../../lib/config/load';
import { CONFIG_KEYS, FIELDS } from '../../lib/config/fields';
import { renderConfigReference, withConfigReference } from '../../lib/config/reference';
import { cdkJsonContext, REPO_ROOT } from '../support/app';

const defaults = cdkJsonContext()[DEFAULTS_CONTEXT_KEY] as Record<string, unknown>;

test('the README configuration reference matches the schema and cdk.json (fix: npm run docs:config)', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  expect(withConfigReference(readme, renderConfigReference(defaults))).toBe(readme);
});

test('the reference has a row for every key, with its default', () => {
  const reference = renderConfigReference(defaults);
  for (const key of CONFIG_KEYS) expect(reference).toContain(`| \`${key}\` |`);
  expect(reference).toContain('| `nodeCount` | `16` |');
  expect(reference).toContain('| `region` | (unset) |');
});

test('cdk.json gives a default for every key that must have a value, and for no other', () => {
  const required = CONFIG_KEYS.filter((key) => !FIELDS[key].schema.safeParse(undefined).success);
  expect(Object.keys(defaults).sort()).toEqual(required.sort());
});

test('a README without the markers is reported, not silently left stale', () => {
  expect(() => withConfigReference('# README', 'table')).toThrow('README.md lacks the markers');
});
