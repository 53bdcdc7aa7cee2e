/** Rewrites the configuration reference in README.md from the schema and the defaults in cdk.json. */
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULTS_CONTEXT_KEY } from '../../lib/config/load';
import { renderConfigReference, withConfigReference } from '../../lib/config/reference';

const root = path.join(__dirname, '..', '..');
const readmePath = path.join(root, 'README.md');
const defaults = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')).context[DEFAULTS_CONTEXT_KEY];
const readme = fs.readFileSync(readmePath, 'utf8');
const updated = withConfigReference(readme, renderConfigReference(defaults));
fs.writeFileSync(readmePath, updated);
console.log(
  updated === readme
    ? 'README.md configuration reference is up to date'
    : 'README.md configuration reference rewritten',
);
