/**
 * The offline demo: validates the configuration (cdk.json defaults, plus any `-c key=value` or `-c config=file.json`
 * given here), prints what it would build, and synthesizes every stack with the AWS CDK CLI. Nothing reaches AWS.
 *
 *   npm run demo
 *   npm run demo -- -c nodeCount=4 -c globalBatchSize=512
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, DEFAULTS_CONTEXT_KEY, loadConfig } from '../lib/config/load';
import { describeConfig } from '../lib/config/summary';

const root = path.join(__dirname, '..');
const outdir = path.join(root, 'cdk.out');

function contextArgs(argv: string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const pair = argv[i] === '-c' || argv[i] === '--context' ? argv[++i] : undefined;
    const match = pair === undefined ? null : /^([^=]+)=(.*)$/.exec(pair);
    if (!match) throw new Error(`unexpected argument "${argv[i]}": use -c key=value`);
    context[match[1]] = match[2];
  }
  return context;
}

function step(n: number, text: string) {
  console.log(`\n[${n}/3] ${text}`);
}

function resourceCounts(templateFile: string): string[] {
  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
  const counts = new Map<string, number>();
  for (const resource of Object.values<{ Type: string }>(template.Resources)) {
    counts.set(resource.Type, (counts.get(resource.Type) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => `${type} × ${n}`);
}

function main(): number {
  const cliContext = contextArgs(process.argv.slice(2));
  const cdkJson = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8'));
  console.log('trainium-cpt demo: offline, nothing is deployed');

  step(1, 'Validating the configuration');
  const config = loadConfig({ [DEFAULTS_CONTEXT_KEY]: cdkJson.context[DEFAULTS_CONTEXT_KEY], ...cliContext }, root);
  console.log('  valid. It describes this run:');
  for (const [label, text] of describeConfig(config)) console.log(`  ${label.padEnd(12)} ${text}`);

  step(2, 'Synthesizing every stack with the AWS CDK CLI (cdk synth)');
  const started = Date.now();
  const args = ['synth', '--quiet', '--output', outdir, ...Object.entries(cliContext).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const synth = spawnSync(path.join(root, 'node_modules', '.bin', 'cdk'), args, { cwd: root, stdio: 'inherit' });
  if (synth.status !== 0) {
    console.error(`cdk synth failed (exit code ${synth.status})`);
    return 1;
  }
  console.log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s, cdk-nag included`);

  step(3, 'What `cdk deploy` would create');
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  for (const [id, artifact] of Object.entries<{ type: string; properties?: { templateFile: string; stackName?: string } }>(
    manifest.artifacts,
  )) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties) continue;
    const file = path.join(outdir, artifact.properties.templateFile);
    const counts = resourceCounts(file);
    console.log(`  stack ${artifact.properties.stackName ?? id}: ${path.relative(root, file)}`);
    for (const line of counts) console.log(`    ${line}`);
  }
  console.log(`\nTemplates and assets are in ${path.relative(root, outdir)}/. Deploy with: npx cdk deploy --all`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : String(error));
  process.exitCode = 1;
}
