/**
 * The training chain that `npm run submit` would start for a tokenized run, shown without a cluster: the plan and
 * the command line the training stack's SSM document runs for it (the Lambda's own code: planRun, scriptCommand), then
 * the real head-node script `cpt-run.sh submit` run against a scratch FSx folder with an `sbatch` that records its
 * arguments instead of queueing, and the training script's arguments as the train stage would build them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FSX_MOUNT_DIR } from '../../lib/cluster/cluster-config';
import { CptConfig } from '../../lib/config/schema';
import { DATASETS_PREFIX } from '../../lib/data/job-arguments';
import { scriptCommand, STAGES, SubmitRequest, TRAINING_ROOT } from '../../lib/training/contract';
import { checkManifest } from '../../lib/training/manifest';
import { planRun, PlanSummary, trainingDefaults } from '../../lib/training/plan';
import { Overrides } from '../../lib/training/requests';
import { describeLimits } from '../../lib/plan/time-limits';
import { describeSavedSteps } from '../../lib/training/saved-steps';
import { NEURON_CORES_PER_NODE } from '../../lib/run/hardware';

const root = path.join(__dirname, '..', '..');
const SCRIPTS = path.join(root, 'cluster', 'training');

/** Stand-ins for what the deployed stacks would give the function: names only, nothing is called. */
function exampleLocations(config: CptConfig) {
  return {
    datasetsBucket: `${config.projectName}-datasets-example`,
    checkpointsBucket: `${config.projectName}-checkpoints-example`,
    hfTokenSecretArn: `arn:aws:secretsmanager:${config.region ?? 'us-east-1'}:123456789012:secret:${config.projectName}-hf-token-AbCdEf`,
  };
}

export interface ChainPreviewInput {
  readonly config: CptConfig;
  /** A manifest of the local runner (glue/local_run.py): its set paths are local folders. */
  readonly manifestFile: string;
  readonly run: string;
  readonly overrides: Overrides;
  /** The Python that runs the cpt package (cluster/training/cpt). */
  readonly python: string;
}

export interface SubmittedJob {
  readonly stage: string;
  readonly id: string;
  /** sbatch's arguments, as cpt-run.sh passed them. */
  readonly argv: readonly string[];
}

export interface ChainPreview {
  readonly command: string;
  readonly request: SubmitRequest;
  readonly summary: PlanSummary;
  readonly warnings: readonly string[];
  readonly jobs: readonly SubmittedJob[];
  /** tp_zero1_llama_hf_pretrain.py and its arguments in the train stage. */
  readonly trainArguments: readonly string[];
}

/** The local manifest as the Glue job would have written it to the datasets bucket. */
function asDeployed(manifest: Record<string, unknown>, datasetsBucket: string, run: string): Record<string, unknown> {
  const attempt = manifest.attempt as string;
  const sets = manifest.sets as Record<string, { path: string }>;
  const moved = Object.fromEntries(
    Object.entries(sets).map(([name, set]) => [
      name,
      { ...set, path: `s3://${datasetsBucket}/${DATASETS_PREFIX}${run}/${attempt}/${name}` },
    ]),
  );
  return { ...manifest, sets: moved };
}

/** A scratch head node: the Neuron environment and the example script cpt-run.sh checks for, and a recording sbatch. */
function scratchHeadNode(python: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-chain-'));
  const venvBin = path.join(dir, 'venv', 'bin');
  const nxd = path.join(dir, 'neuronx-distributed');
  const example = path.join(nxd, 'examples', 'training', 'llama', 'tp_zero1_llama_hf_pretrain');
  const slurmBin = path.join(dir, 'slurm-bin');
  for (const folder of [venvBin, example, slurmBin, path.join(dir, 'fsx')]) fs.mkdirSync(folder, { recursive: true });
  fs.symlinkSync(path.resolve(python), path.join(venvBin, 'python3'));
  fs.writeFileSync(path.join(example, 'tp_zero1_llama_hf_pretrain.py'), '');
  // Each call: the next job id on stdout, the arguments NUL-separated in sbatch-<id>.argv.
  fs.writeFileSync(
    path.join(slurmBin, 'sbatch'),
    [
      '#!/usr/bin/env bash',
      'set -euo pipefail',
      'id=$(( $(cat "$0.count" 2>/dev/null || echo 0) + 1 ))',
      'echo "$id" >"$0.count"',
      'printf "%s\\0" "$@" >"$(dirname "$0")/sbatch-$id.argv"',
      'echo "$id"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(slurmBin, 'scancel'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return {
    dir,
    env: {
      ...process.env,
      CPT_FSX: path.join(dir, 'fsx'),
      CPT_SLURM_BIN: slurmBin,
      CPT_NEURON_VENV: path.join(dir, 'venv'),
      CPT_NXD_DIR: nxd,
      CPT_PYTHON: python,
      // The jobs' user is ParallelCluster's default user on the cluster; here, whoever runs the demo (no runuser).
      CPT_JOB_USER: os.userInfo().username,
    },
  };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): string {
  const result = spawnSync(command, args, { env, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(args[0] ?? command)} ${args[1] ?? ''} failed (exit ${result.status}): ${(result.stdout + result.stderr).trim()}`,
    );
  }
  return result.stdout;
}

export function previewChain(input: ChainPreviewInput): ChainPreview {
  const { config, run: runName, overrides, python } = input;
  const locations = exampleLocations(config);
  const local = JSON.parse(fs.readFileSync(input.manifestFile, 'utf8')) as Record<string, unknown>;
  const sequenceLength = (local.parameters as { sequenceLength: number }).sequenceLength;
  const deployed = JSON.stringify(asDeployed(local, locations.datasetsBucket, runName));
  const manifest = checkManifest(deployed, { run: runName, datasetsBucket: locations.datasetsBucket, sequenceLength });
  // The sample is tokenized at its own row length: the deployed configuration would be tokenized at sequenceLength.
  const defaults = trainingDefaults({ ...config, sequenceLength });
  const plan = planRun({ run: runName, manifest, defaults, overrides, locations });
  const bundleDir = `${TRAINING_ROOT}/example-bundle`;
  const command = scriptCommand(bundleDir, 'submit', plan.request);

  const headNode = scratchHeadNode(python);
  try {
    // The command the function sends, with the bundle folder where this checkout has the scripts.
    const [shell, script, ...args] = command.split(' ');
    const answer = JSON.parse(run(shell, [script.replace(bundleDir, SCRIPTS), ...args], headNode.env)) as {
      jobs: Record<string, string>;
      runDir: string;
    };
    const slurmBin = headNode.env.CPT_SLURM_BIN as string;
    // Paths as they are on the cluster: the scratch folders stand for /fsx and the release's checkout.
    const nxdDir = headNode.env.CPT_NXD_DIR as string;
    const onCluster = (arg: string) =>
      arg
        .replaceAll(nxdDir, `${FSX_MOUNT_DIR}/trainium-cpt/neuron-${plan.request.neuronRelease}/neuronx-distributed`)
        .replaceAll(headNode.env.CPT_FSX as string, FSX_MOUNT_DIR);
    const jobs = STAGES.map((stage) => {
      const id = answer.jobs[stage];
      const argv = fs
        .readFileSync(path.join(slurmBin, `sbatch-${id}.argv`), 'utf8')
        .split('\0')
        .slice(0, -1);
      return { stage, id, argv: argv.map(onCluster) };
    });
    const trainArguments = run(
      python,
      [path.join(SCRIPTS, 'cpt'), 'train-args', 'train', path.join(answer.runDir, 'request.json'), nxdDir],
      headNode.env,
    )
      .trimEnd()
      .split('\n')
      .map(onCluster);
    return { command, request: plan.request, summary: plan.summary, warnings: plan.warnings, jobs, trainArguments };
  } finally {
    fs.rmSync(headNode.dir, { recursive: true, force: true });
  }
}

/** The preview for people: the plan, the command, the jobs with their Slurm options, the training arguments. */
export function describeChain(preview: ChainPreview): string[] {
  const s = preview.summary;
  const r = preview.request;
  const lines = [
    `plan: ${s.trainRows} rows × ${s.epochs.toFixed(2)} epochs = ${s.steps} steps of ${r.globalBatch} rows ` +
      `(${s.tokensPerStep.toLocaleString('en-US')} tokens/step, ${s.trainTokens.toLocaleString('en-US')} tokens); ` +
      `${r.nodes} nodes, TP ${r.tensorParallel}, DP ${s.dataParallel}, gradient accumulation ${s.gradientAccumulation}; ` +
      `warm-up ${r.warmupSteps}, checkpoint every ${r.checkpointEvery}, compile ${r.compileSteps} steps`,
    `checkpoints at steps ${describeSavedSteps(s.savedSteps, r.checkpointsKept)}`,
    `time limits: ${describeLimits(r.timeLimits)}; a failed train job requeues itself up to ${r.maxTrainRestarts} times`,
    ...preview.warnings.map((w) => `warning: ${w}`),
    `command on the head node (the training stack's SSM document): ${preview.command.slice(0, 110)}… (${preview.command.length} characters)`,
    'Slurm jobs, as cpt-run.sh submits them:',
  ];
  for (const job of preview.jobs) {
    const option = (name: string) => job.argv[job.argv.indexOf(name) + 1];
    const dependency = job.argv.includes('--dependency') ? option('--dependency') : 'none';
    const requeue = job.argv.includes('--requeue')
      ? ', requeueable (a node failure, a failed preflight; train: a failed run)'
      : '';
    const time = job.argv.find((a) => a === '--time' || a.startsWith('--time='));
    const limit = time ? `, --time ${time === '--time' ? option('--time') : time.slice('--time='.length)}` : '';
    lines.push(
      `  ${job.id}. ${job.stage.padEnd(8)} ${option('--nodes').padStart(2)} node(s), after ${dependency}${limit}${requeue}: ${path.basename(job.argv[job.argv.length - 2])}`,
    );
  }
  const [script, ...args] = preview.trainArguments;
  lines.push(
    `train stage, on every node: torchrun --nproc_per_node ${NEURON_CORES_PER_NODE} … ${path.basename(script)} ${args.join(' ')}`,
  );
  return lines;
}
