import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { TokenizeJob } from '../../lib/data/tokenize-job';
import { defaultConfig, REPO_ROOT } from '../support/app';

/** Every file under dir, as paths relative to it. */
function filesUnder(dir: string, relative = ''): string[] {
  return fs
    .readdirSync(path.join(dir, relative), { withFileTypes: true })
    .flatMap((entry) => {
      const name = path.join(relative, entry.name);
      return entry.isDirectory() ? filesUnder(dir, name) : [name];
    })
    .sort();
}

/** Synthesizes a TokenizeJob whose package comes from libraryPath; returns the staged assets: packaging and files. */
function stagedAssets(libraryPath: string) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-job-code-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'CodeTest');
  new TokenizeJob(stack, 'Tokenize', {
    config: defaultConfig(),
    rawBucket: new s3.Bucket(stack, 'Raw'),
    datasetsBucket: new s3.Bucket(stack, 'Datasets'),
    scratchBucket: new s3.Bucket(stack, 'Scratch'),
    hfTokenSecret: new secretsmanager.Secret(stack, 'Secret'),
    libraryPath,
  });
  app.synth();
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'CodeTest.assets.json'), 'utf8'));
  const assets = Object.values<{ source: { path: string; packaging: string } }>(manifest.files);
  return assets
    .filter(({ source }) => !source.path.endsWith('.template.json'))
    .map(({ source }) => ({
      packaging: source.packaging,
      extension: path.extname(source.path),
      files: fs.statSync(path.join(outdir, source.path)).isDirectory()
        ? filesUnder(path.join(outdir, source.path))
        : [],
    }));
}

test('the package is zipped from glue/src, with cpt_data at the top of the zip and no Python caches', () => {
  const library = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-library-'));
  const noCaches = (src: string) => !/__pycache__|\.pyc$/.test(src);
  fs.cpSync(path.join(REPO_ROOT, 'glue', 'src'), library, { recursive: true, filter: noCaches });
  const sources = filesUnder(library);
  fs.mkdirSync(path.join(library, 'cpt_data', '__pycache__'));
  fs.writeFileSync(path.join(library, 'cpt_data', '__pycache__', 'packing.cpython-311.pyc'), 'compiled');
  fs.writeFileSync(path.join(library, 'cpt_data', 'stale.pyc'), 'compiled');

  const zipped = stagedAssets(library).filter((asset) => asset.packaging === 'zip');
  expect(zipped).toHaveLength(1);
  expect(zipped[0].files).toEqual(sources);
  expect(zipped[0].files).toContain(path.join('cpt_data', '__init__.py'));
});

test('the entry point is uploaded as it is, a .py file', () => {
  const files = stagedAssets(path.join(REPO_ROOT, 'glue', 'src')).filter((asset) => asset.packaging === 'file');
  expect(files).toEqual([{ packaging: 'file', extension: '.py', files: [] }]);
});
