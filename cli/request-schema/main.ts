/**
 * Writes the requests' JSON Schema (cluster/training/request.schema.json) and the probes of the cluster's validator
 * (cluster/training/tests/fixtures/request-probes.json) from lib/training/request-schema.ts, and the `derived` of many
 * run shapes (cluster/training/tests/fixtures/derived-shapes.json) from lib/run/derive.ts. Run it after changing a
 * field of the requests or a configuration key's limits; a jest test fails while the committed files differ.
 *
 *   npm run request-schema
 */
import * as fs from 'fs';
import * as path from 'path';
import { DERIVED_SHAPES_FILE, derivedShapesFile } from './derived-shapes';
import { requestSchemaFile, SCHEMA_FILE } from './json-schema';
import { PROBES_FILE, requestProbesFile } from './probes';

const root = path.join(__dirname, '..', '..');

if (require.main === module) {
  for (const [file, text] of [
    [SCHEMA_FILE, requestSchemaFile()],
    [PROBES_FILE, requestProbesFile()],
    [DERIVED_SHAPES_FILE, derivedShapesFile()],
  ]) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
    console.log(`wrote ${file}`);
  }
}
