/**
 * The offline demo, the whole path on one machine: validates the configuration (cdk.json defaults, plus any
 * `-c key=value` or `-c config=file.json` given here), prints the plan (time and cost), synthesizes every stack
 * with the AWS CDK CLI, tokenizes the sample corpus with the tokenization job's local runner (real Spark, the real
 * Llama 2 tokenizer), shows the chain of Slurm jobs the training function would submit for it, and renders a
 * sample perplexity report. Nothing reaches AWS.
 *
 *   npm run demo
 *   npm run demo -- -c nodeCount=4 -c globalBatchSize=512
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, loadProjectConfig } from '../../lib/config/load';
import { describeConfig } from '../../lib/config/summary';
import { estimateRun, PlanError } from '../../lib/plan/estimate';
import { formatPlan } from '../../lib/plan/format';
import { sequencesPerPass } from '../../lib/run/parallelism';
import { InvalidRequestError, OverrideKey } from '../../lib/training/requests';
import { renderReport } from '../report/render';
import { CONTEXT, parseContextPair, readArgs } from '../shared/args';
import { CommandError } from '../shared/command-line';
import { OVERRIDE_FLAGS } from '../training/args';
import { describeChain, previewChain } from './chain-preview';

const root = path.join(__dirname, '..', '..');
const outdir = path.join(root, 'cdk.out');
const local = path.join(root, '.local');
const venvPython = path.join(root, '.venv', 'bin', 'python');
const SAMPLE_REPORT = path.join(root, 'data', 'sample', 'evaluation', 'perplexity.json');
const STEPS = 7;
const DEMO_RUN = 'demo';
/** The sample is tiny: a global batch of one row per replica (set in main), a short warm-up, checkpoints every 10 steps. */
const SAMPLE_OVERRIDES = { warmupSteps: 2, checkpointEvery: 10 } as const;

function contextArgs(argv: string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (const arg of readArgs(argv, CONTEXT)) {
    const pair = arg.kind === 'flag' ? parseContextPair(arg.value) : undefined;
    if (!pair) throw new Error(`unexpected argument "${arg.kind === 'flag' ? arg.value : arg.text}": use -c key=value`);
    context[pair[0]] = pair[1];
  }
  return context;
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

function step(n: number, text: string) {
  console.log(`\n[${n}/${STEPS}] ${text}`);
}

/** Runs a command with its output shown; throws if it fails. */
function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`${path.relative(root, command) || command} ${args[0] ?? ''} failed (exit code ${result.status})`);
}

interface Manifest {
  corpora: Record<
    string,
    { records: number; bad_records: Record<string, number>; splits: Record<string, Record<string, number>> }
  >;
  mixing: { trainRows: number; trainTokens: number; achievedGeneralShare: number; targetGeneralShare: number };
  sets: Record<string, { path: string; rows: number }>;
  tokenizer: { sha256: string };
  parameters: { sequenceLength: number };
}

/** Tokenizes the sample corpus as the Glue job would, and prints the manifest's figures. */
function tokenizeSampleCorpus(): string {
  run(path.join(root, 'scripts', 'python-env.sh'), []);
  const tokenizerDir = path.join(local, 'tokenizer');
  run(process.execPath, [path.join(root, 'scripts', 'build-llama-tokenizer.mjs'), tokenizerDir]);
  const started = Date.now();
  run(venvPython, [
    path.join(root, 'glue', 'local_run.py'),
    '--run',
    DEMO_RUN,
    '--tokenizer-uri',
    path.join(tokenizerDir, 'tokenizer.json'),
  ]);
  const manifestPath = path.join(local, 'datasets', DEMO_RUN, 'manifest.json');
  const manifest: Manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  console.log(
    `  done in ${((Date.now() - started) / 1000).toFixed(1)} s; rows of ${manifest.parameters.sequenceLength} tokens`,
  );
  for (const [corpus, c] of Object.entries(manifest.corpora)) {
    const bad =
      Object.entries(c.bad_records)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ') || 'none';
    const splits = Object.entries(c.splits)
      .map(
        ([split, s]) => `${split} ${s.documents} docs, ${s.tokens} tokens, ${s.rows} rows, ${s.dropped_tokens} dropped`,
      )
      .join('; ');
    console.log(`  ${corpus.padEnd(8)} ${c.records} records (bad: ${bad}); ${splits}`);
  }
  const m = manifest.mixing;
  console.log(
    `  training set: ${m.trainRows} rows, ${m.trainTokens} tokens, general share ${(m.achievedGeneralShare * 100).toFixed(2)}% ` +
      `(target ${(m.targetGeneralShare * 100).toFixed(2)}%); tokenizer sha256 ${manifest.tokenizer.sha256.slice(0, 12)}…`,
  );
  return manifestPath;
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
  console.log('trainium-cpt demo: offline, nothing is deployed');

  step(1, 'Validating the configuration');
  const config = loadProjectConfig(cliContext, root);
  console.log('  valid. It describes this run:');
  for (const [label, text] of describeConfig(config)) console.log(`  ${label.padEnd(12)} ${text}`);

  step(
    2,
    `The plan: time and cost of training on ${config.plannedTrainTokens.toLocaleString('en-US')} tokens (npm run plan)`,
  );
  try {
    console.log(indent(formatPlan(estimateRun(config))));
  } catch (error) {
    // A Region without prices on record: the rest of the demo does not depend on the plan.
    if (!(error instanceof PlanError)) throw error;
    console.log(`  not available: ${error.message}`);
  }

  step(3, 'Synthesizing every stack with the AWS CDK CLI (cdk synth)');
  const started = Date.now();
  const args = [
    'synth',
    '--quiet',
    '--output',
    outdir,
    ...Object.entries(cliContext).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  const synth = spawnSync(path.join(root, 'node_modules', '.bin', 'cdk'), args, { cwd: root, stdio: 'inherit' });
  if (synth.status !== 0) {
    console.error(`cdk synth failed (exit code ${synth.status})`);
    return 1;
  }
  console.log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s, cdk-nag included`);

  step(4, 'What `cdk deploy` would create');
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  for (const [id, artifact] of Object.entries<{
    type: string;
    properties?: { templateFile: string; stackName?: string };
  }>(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties) continue;
    const file = path.join(outdir, artifact.properties.templateFile);
    const counts = resourceCounts(file);
    console.log(`  stack ${artifact.properties.stackName ?? id}: ${path.relative(root, file)}`);
    for (const line of counts) console.log(`    ${line}`);
  }

  step(5, "Tokenizing the sample corpus with the job's local runner (data/sample, local Spark)");
  const manifestPath = tokenizeSampleCorpus();

  step(6, 'The chain of Slurm jobs the training function would submit for it (cpt-run.sh, with sbatch recording)');
  const overrides = {
    ...SAMPLE_OVERRIDES,
    globalBatch: sequencesPerPass({
      nodes: config.nodeCount,
      tensorParallel: config.tensorParallelDegree,
      microBatch: config.microBatchSize,
    }),
  };
  const flags = Object.entries(overrides)
    .map(([key, value]) => `${OVERRIDE_FLAGS[key as OverrideKey].flag} ${value}`)
    .join(' ');
  console.log(`  as for: npm run submit -- --run ${DEMO_RUN} ${flags}   (a small batch for the small sample)`);
  const chain = previewChain({ config, manifestFile: manifestPath, run: DEMO_RUN, overrides, python: venvPython });
  console.log(indent(describeChain(chain).join('\n')));

  step(7, 'Rendering a sample perplexity report (npm run report; the evaluate stage writes the same page to S3)');
  fs.mkdirSync(path.join(local, 'report'), { recursive: true });
  const report = renderReport(SAMPLE_REPORT, path.join(local, 'report', 'report.html'), venvPython);
  console.log(
    `  ${path.relative(root, report)}: from ${path.relative(root, SAMPLE_REPORT)} (base model and 4 checkpoints, domain and general sets)`,
  );

  console.log('\nWhere things are:');
  const rows: [string, string][] = [
    ['templates and assets', `${path.relative(root, outdir)}/   (deploy with: npx cdk deploy --all)`],
    ['the plan', 'npm run plan   (-- --manifest FILE for a tokenized run, -c measuredTokensPerSecondPerNode=N)'],
    [
      'tokenized sample',
      `${path.relative(root, path.dirname(manifestPath))}/   (load_from_disk folders train, eval_domain, eval_general)`,
    ],
    ['its manifest', path.relative(root, manifestPath)],
    ['the sample report', `${path.relative(root, report)}   (open it in a browser)`],
  ];
  for (const [label, where] of rows) console.log(`  ${label.padEnd(22)} ${where}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  const known = [ConfigError, InvalidRequestError, CommandError].some((type) => error instanceof type);
  console.error(known ? (error as Error).message : String(error));
  process.exitCode = 1;
}
