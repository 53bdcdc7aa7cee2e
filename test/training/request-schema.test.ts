import * as fs from 'fs';
import * as path from 'path';
import { ALLOWED_KEYWORDS, requestSchemaFile, SCHEMA_FILE } from '../../cli/request-schema/json-schema';
import { PROBES_FILE, requestProbes, requestProbesFile } from '../../cli/request-schema/probes';
import { DERIVED_SHAPES_FILE, derivedShapesFile } from '../../cli/request-schema/derived-shapes';
import { REQUEST_VERSION } from '../../lib/training/contract';
import { planRun, trainingDefaults } from '../../lib/training/plan';
import { SUBMIT_REQUEST } from '../../lib/training/request-schema';
import { CHECKPOINTS, configWith, DATASETS, manifest, SECRET_ARN } from './support';
import { checkManifest } from '../../lib/training/manifest';

const ROOT = path.join(__dirname, '..', '..');
const committed = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('the request contract the cluster checks (npm run request-schema)', () => {
  test('cluster/training/request.schema.json is a fresh generation of lib/training/request-schema.ts', () => {
    expect(committed(SCHEMA_FILE)).toBe(requestSchemaFile());
  });

  test('the probes of the cluster validator are a fresh generation too', () => {
    expect(committed(PROBES_FILE)).toBe(requestProbesFile());
  });

  test("the derived figures the cluster tests' oracle is held to are a fresh generation too", () => {
    expect(committed(DERIVED_SHAPES_FILE)).toBe(derivedShapesFile());
  });

  test('the schema uses only the keywords the cluster validator knows, and no $ref', () => {
    const keywords = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key !== 'properties') keywords.add(key);
          walk(key === 'properties' ? Object.values(value as object) : value);
        }
      }
    };
    walk(Object.values(JSON.parse(committed(SCHEMA_FILE)).$defs));
    expect([...keywords].filter((k) => !ALLOWED_KEYWORDS.has(k))).toEqual([]);
  });

  test('the probes: the seed request valid, and every field of both schemas broken', () => {
    const probes = requestProbes();
    expect(probes[0]).toMatchObject({ name: 'the seed request', action: 'submit', valid: true });
    const broken = new Set(probes.filter((p) => !p.valid).map((p) => p.field));
    for (const field of Object.keys(SUBMIT_REQUEST.shape)) expect(broken).toContain(field);
    for (const field of ['evalPaths.domain', 'evalPaths.general', 'timeLimits.train', 'derived.dataParallel'])
      expect(broken).toContain(field);
    expect(probes.filter((p) => p.name.endsWith('a trailing newline')).every((p) => !p.valid)).toBe(true);
  });

  test('a request of the training function is valid: its version, and derived from the run', () => {
    const facts = checkManifest(JSON.stringify(manifest('r1')), {
      run: 'r1',
      datasetsBucket: DATASETS,
      sequenceLength: 4096,
    });
    const { request } = planRun({
      run: 'r1',
      manifest: facts,
      defaults: trainingDefaults(configWith()),
      locations: { datasetsBucket: DATASETS, checkpointsBucket: CHECKPOINTS, hfTokenSecretArn: SECRET_ARN },
    });
    expect(SUBMIT_REQUEST.safeParse(request).success).toBe(true);
    expect(request.version).toBe(REQUEST_VERSION);
    expect(REQUEST_VERSION).toBe(2);
  });
});
