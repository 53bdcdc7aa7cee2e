import { CapacityBlockAnswer } from '../../lib/training/capacity-block';
import { NeuronEnvironmentState, STAGES, StageTimeLimits, TrainRestarts } from '../../lib/training/contract';
import { describeNeuronEnvironment, describeWaitsFor, utcMinute } from '../../lib/training/neuron-status';
import { PlanSummary } from '../../lib/training/plan';
import { describeLimits } from '../../lib/plan/time-limits';
import { describeSavedSteps } from '../../lib/training/saved-steps';

/** The training function's answers to submit, status and cancel, in words for a terminal. */

/** The function's answer, for people. */
export function describeAnswer(action: string, answer: Record<string, unknown>): string[] {
  const run = String(answer.run);
  if (action === 'status') {
    return describeStatus(
      run,
      answer.jobs as Record<string, StageStatus>,
      answer.neuronEnvironment as NeuronEnvironmentState | undefined,
      answer.restarts as TrainRestarts | undefined,
    );
  }
  if (action === 'cancel') {
    const cancelled = (answer.cancelled as string[]) ?? [];
    return [
      cancelled.length > 0
        ? `Run ${run}: cancelled job${cancelled.length > 1 ? 's' : ''} ${cancelled.join(', ')}.`
        : `Run ${run}: no job left to cancel.`,
    ];
  }
  return describeSubmit(run, answer);
}

const NUMBER = new Intl.NumberFormat('en-US');
const n = (value: number) => NUMBER.format(value);

interface StageStatus {
  readonly id: string;
  readonly state: string;
  readonly reason: string;
  /** The first job, while it is held for the Neuron environment: `neuron-<release>`. */
  readonly waitsFor?: string;
}

function describeSubmit(run: string, answer: Record<string, unknown>): string[] {
  const jobs = answer.jobs as Record<string, string>;
  const request = answer.request as Record<string, unknown>;
  const held = answer.heldJob as { stage: string; id: string; waitsFor: string } | undefined;
  const environment = answer.neuronEnvironment as NeuronEnvironmentState | undefined;
  const lines: string[] = [];
  const resumeLine = describeResume(run, answer);
  const chain = STAGES.map((stage) => `${stage} ${jobs[stage]}${held?.stage === stage ? ' (held)' : ''}`).join(' → ');
  const waiting = held
    ? `It waits for ${describeWaitsFor(held.waitsFor)}: ${held.stage} (job ${held.id}) is held, and the chain starts by itself when the environment is ready.`
    : undefined;
  if (answer.created === false) {
    lines.push(
      `Run ${run} was submitted before: these are its jobs. This request changed nothing (its options were not applied).`,
    );
    if (typeof answer.message === 'string') lines.push(`  ${oneLine(answer.message)}`);
    if (resumeLine) lines.push(resumeLine);
    if (waiting) lines.push(waiting);
    lines.push(`  Jobs         ${chain}`);
    lines.push(`  Run folder   ${answer.runDir}`);
  } else {
    const plan = answer.plan as PlanSummary;
    const stepsFrom =
      plan.stepsFrom === 'steps'
        ? `set by --steps: ${plan.epochs.toFixed(3)} epochs`
        : `${request.steps} step${request.steps === 1 ? '' : 's'} cover ${plan.epochs.toFixed(3)} epochs of ${n(plan.trainRows)} rows`;
    lines.push(
      `Run ${run}: ${request.resume === true ? 'submitted again, to continue it' : 'submitted'}.${waiting ? ` ${waiting}` : ''}`,
    );
    if (resumeLine) lines.push(resumeLine);
    lines.push(
      `  Data         ${plan.attempt}: ${n(plan.trainRows)} training rows; evaluation on ${n(plan.evalDomainRows)} domain and ${n(plan.evalGeneralRows)} general rows`,
    );
    lines.push(
      `  Parallelism  ${request.nodes} nodes, tensor parallel ${request.tensorParallel}, data parallel ${plan.dataParallel}`,
    );
    lines.push(
      `  Batch        ${n(request.globalBatch as number)} rows a step = ${plan.dataParallel} replicas × micro-batch ${request.microBatch} × ${plan.gradientAccumulation} accumulated; ${n(plan.tokensPerStep)} tokens`,
    );
    lines.push(`  Steps        ${n(request.steps as number)} (${stepsFrom}); ${n(plan.trainTokens)} tokens in all`);
    lines.push(
      `  Schedule     ${request.warmupSteps} warm-up steps to ${request.learningRate}, then decay to ${request.minLearningRate}`,
    );
    const saved = plan.savedSteps;
    lines.push(
      saved
        ? `  Checkpoints  at steps ${describeSavedSteps(saved, request.checkpointsKept as number)}, all of them in S3`
        : `  Checkpoints  every ${request.checkpointEvery} steps; the newest ${request.checkpointsKept} kept on FSx, all of them in S3`,
    );
    const limits = request.timeLimits as StageTimeLimits | undefined;
    if (limits) lines.push(`  Time limits  ${describeLimits(limits)}`);
    const block = answer.capacityBlock as CapacityBlockAnswer | undefined;
    if (block) {
      lines.push(
        `  Stop by      ${block.stopBy}: Capacity Block ${block.reservationId} (${block.state}) ends ${block.endDate}; training stops at a completed checkpoint by then`,
      );
    }
    if (typeof request.maxTrainRestarts === 'number') {
      lines.push(
        `  Restarts     ${request.maxTrainRestarts === 0 ? 'none: a failed train job fails the chain' : `a failed train job requeues itself up to ${request.maxTrainRestarts} time${request.maxTrainRestarts === 1 ? '' : 's'} from its newest checkpoint`}`,
      );
    }
    lines.push(`  Jobs         ${chain}`);
    lines.push(`  Run folder   ${answer.runDir}`);
    lines.push(`  Model        ${request.exportS3Uri}`);
    lines.push(`  Report       ${request.reportS3Uri}`);
    for (const warning of (answer.warnings as string[]) ?? []) lines.push(`  Warning: ${warning}`);
  }
  if (environment && (held || environment.state !== 'ready')) lines.push(describeNeuronEnvironment(environment));
  lines.push(`Follow it: npm run status -- --run ${run}    Cancel it: npm run cancel -- --run ${run}`);
  return lines;
}

/** Text from the cluster on one line of a terminal: runs of white space as one space, other control characters as `?`. */
function oneLine(text: string): string {
  return (
    text
      .replace(/\s+/g, ' ')
      // eslint-disable-next-line no-control-regex -- control characters are what this removes
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
      .trim()
  );
}

/** What the script answered a resume: the checkpoint training continues from, or that there was none. */
function describeResume(run: string, answer: Record<string, unknown>): string | undefined {
  const request = (answer.request ?? {}) as Record<string, unknown>;
  if (answer.resumed === undefined && request.resume !== true) return undefined;
  // A chain still in place: this request changed nothing, and there was nothing to resume yet.
  if (answer.created === false && answer.resumed !== true) return undefined;
  if (answer.resumed === true) {
    const from = answer.resumeFrom;
    return typeof from === 'string'
      ? `  Resumed      from checkpoint ${from}, the newest completed one of run ${run}`
      : `  Resumed      with no completed checkpoint yet: training starts again from the base model`;
  }
  return `  Resumed      no: the script found nothing to continue (resumed: ${JSON.stringify(answer.resumed ?? null)})`;
}

/**
 * The train job's restarts, one line each: "train restarted 2 of 3 times: attempt 1 exit 1 at 2026-01-01 12:00 UTC:
 * reason; drained ip-10-0-1-5", the later attempts on lines of their own.
 */
function describeRestarts(restarts: TrainRestarts): string[] {
  const head =
    restarts.count === 0
      ? `train has not restarted (up to ${restarts.max} restart${restarts.max === 1 ? '' : 's'})`
      : `train restarted ${restarts.count} of ${restarts.max} time${restarts.max === 1 ? '' : 's'}${restarts.count >= restarts.max ? ' (no restart left)' : ''}`;
  const attempts = restarts.history.map((h) => {
    const exit = h.exitCode === null ? 'without an exit code' : `exit ${h.exitCode}`;
    const drained = h.drainedNodes.length > 0 ? `; drained ${h.drainedNodes.join(', ')}` : '';
    return `attempt ${h.attempt} ${exit} at ${oneLine(utcMinute(h.time))}: ${oneLine(h.reason) || 'no reason given'}${oneLine(drained)}`;
  });
  if (attempts.length === 0) return [`  ${head}`];
  return [`  ${head}: ${attempts[0]}`, ...attempts.slice(1).map((a) => `    ${a}`)];
}

function describeStatus(
  run: string,
  jobs: Record<string, StageStatus>,
  environment: NeuronEnvironmentState | undefined,
  restarts: TrainRestarts | undefined,
): string[] {
  const stages = [
    ...STAGES.filter((s) => s in jobs),
    ...Object.keys(jobs).filter((s) => !(STAGES as readonly string[]).includes(s)),
  ];
  const neuron = environment ? [describeNeuronEnvironment(environment)] : [];
  if (stages.length === 0) return [`Run ${run}: no job.`, ...neuron];
  const reason = (job: StageStatus) =>
    job.waitsFor
      ? `${job.reason ? `${job.reason}: ` : ''}held until ${describeWaitsFor(job.waitsFor)} is ready`
      : (job.reason ?? '');
  const rows = [
    ['STAGE', 'JOB', 'STATE', 'REASON'],
    ...stages.map((s) => [s, jobs[s].id, jobs[s].state, reason(jobs[s])]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)) + 2);
  return [
    `Run ${run}:`,
    ...rows.map((r) =>
      `  ${r[0].padEnd(widths[0])}${r[1].padEnd(widths[1])}${r[2].padEnd(widths[2])}${r[3]}`.trimEnd(),
    ),
    ...(restarts ? describeRestarts(restarts) : []),
    ...neuron,
  ];
}
