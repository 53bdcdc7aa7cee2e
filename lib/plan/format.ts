import { budgetName, DAILY_BUDGET, describeNotifications, RUN_BUDGET } from '../monitoring/budget-kinds';
import type { CostLine, Range, RunEstimate } from './estimate';
import { formatCapacity, formatFsxThroughput, formatStorage } from './format-storage-capacity';
import { formatCount, formatNumber, formatUsd } from './numbers';
import { hanging, renderTable } from './text';
import { HOURS_PER_MONTH } from './prices';
import { describeStallDerivation } from './stall-threshold';
import { describeStageTime, formatLimit } from './time-limits';
import { NEURON_CORES_PER_NODE } from '../run/hardware';
import { STAGES } from '../training/contract';
import { describeSavedSteps } from '../training/saved-steps';

/**
 * The run plan as plain text for a terminal: aligned columns, thousands separators, USD, hours, and at the end every
 * assumption with its source. Each figure points to the assumptions it rests on ([n]).
 */

function between(r: Range, format: (v: number) => string): string {
  return format(r.low) === format(r.high) ? format(r.low) : `${format(r.low)} – ${format(r.high)}`;
}

function refs(basis: readonly string[], numbers: ReadonlyMap<string, number>): string {
  const found = basis.map((id) => numbers.get(id)).filter((n): n is number => n !== undefined);
  return found.length ? `[${[...new Set(found)].sort((a, b) => a - b).join(',')}]` : '';
}

/** The full plan, as printed by `npm run plan`. */
export function formatPlan(e: RunEstimate, width = 118): string {
  const numbers = new Map(e.assumptions.map((a, i) => [a.id, i + 1]));
  const r = (...ids: string[]) => refs(ids, numbers);
  const out: string[] = [];
  const where = e.regionFromConfig ? e.region : `${e.region} (region unset: assumed)`;
  const kind = e.capacity.kind === 'on-demand' ? 'on-demand prices' : `${e.capacity.kind} capacity`;
  out.push(`trainium-cpt run plan: ${e.nodes} × ${e.instanceType} in ${where}, ${kind} ${r('region', 'capacity')}`);

  out.push('', 'Training set');
  const d = e.data;
  out.push(
    ...renderTable(
      [
        [`tokens, one epoch`, formatCount(d.trainTokens), r('rows'), `from ${d.source}`],
        [`rows of ${formatCount(d.sequenceLength)} tokens`, formatCount(d.rows), r('rows')],
        ['held-out rows', formatCount(d.evalRows), r('rows')],
      ],
      ['left', 'right', 'left', 'left'],
    ),
  );

  out.push('', 'Training');
  const p = e.parallel;
  const hours = (h: number) => formatNumber(h, h < 10 ? 2 : 1);
  const hoursText = between(e.trainingHours, hours);
  const days = between(e.trainingHours, (h) => formatNumber(h / 24, 1));
  out.push(
    ...renderTable(
      [
        [
          'data-parallel degree',
          formatCount(p.dataParallel),
          r('steps'),
          `${e.nodes} nodes × ${NEURON_CORES_PER_NODE} NeuronCores ÷ TP ${p.tensorParallel}`,
        ],
        [
          'gradient accumulation',
          formatCount(p.gradientAccumulation),
          '',
          `global batch ${formatCount(p.globalBatch)} ÷ (${formatCount(p.dataParallel)} × micro batch ${p.microBatch})`,
        ],
        ['steps per epoch', formatCount(e.steps.perEpoch), r('steps')],
        [`total steps (${e.steps.epochs} epochs)`, formatCount(e.steps.total), r('steps')],
        ['tokens trained', formatCount(e.tokensTrained), r('steps')],
        [
          'tokens/s per node',
          between(e.throughput.tokensPerSecondPerNode, formatCount),
          r('throughput', 'scaling'),
          e.throughput.measured ? 'measured' : 'published range',
        ],
        ['training time (h)', hoursText, r('hours', 'throughput', 'scaling'), `${days} days`],
        ['node-hours', between(e.nodeHours, hours), r('hours')],
        [
          'Glue tokenization (h)',
          formatNumber(e.glue.wallHours, 2),
          r('glue.tokens', 'glue.rate', 'glue.overhead', 'glue.workers'),
          `${formatNumber(e.glue.dpuHours, 1)} DPU-hours on ${e.glue.workers} × ${e.glue.workerType}`,
        ],
      ],
      ['left', 'right', 'left', 'left'],
    ),
  );
  out.push(
    ...hanging(
      '  ',
      `checkpoints at steps ${describeSavedSteps(e.checkpoints.savedSteps, e.checkpoints.kept)} ${r('checkpoint')}`,
      width,
    ),
  );

  out.push(...formatStorage(e, r));
  out.push(...formatFsxThroughput(e, r, width));
  out.push(...formatCapacity(e, r, width));

  const two = e.runTotal.low !== e.runTotal.high;
  const costRow = (line: CostLine): string[] =>
    two
      ? [line.label, formatUsd(line.usd.low), formatUsd(line.usd.high), refs(line.basis, numbers)]
      : [line.label, formatUsd(line.usd.high), refs(line.basis, numbers)];
  out.push('', `Cost of the run (USD): while training, and the tokenization`);
  out.push(
    ...renderTable(
      [
        two ? ['', 'low', 'high'] : ['', 'cost'],
        ...e.runCosts.map(costRow),
        two
          ? ['total', formatUsd(e.runTotal.low), formatUsd(e.runTotal.high), r('excluded')]
          : ['total', formatUsd(e.runTotal.high), r('excluded')],
      ],
      two ? ['left', 'right', 'right', 'left'] : ['left', 'right', 'left'],
    ),
  );
  if (two) out.push('  low: at the high throughput; high: at the low one (conservative)');

  out.push('', 'A day of training (USD)');
  out.push(
    ...renderTable(
      [
        ...e.daily.map((line) => [line.label, formatUsd(line.usd.high), refs(line.basis, numbers)]),
        ['total', formatUsd(e.dailyTotal), r('day', 'excluded')],
      ],
      ['left', 'right', 'left'],
    ),
  );

  const b = e.budgets;
  const project = '<projectName>';
  out.push('', 'Cost budgets (USD): AWS Budgets of the costs tagged project = <projectName>');
  out.push(
    ...renderTable(
      [
        [
          `${budgetName(project, DAILY_BUDGET)} (${DAILY_BUDGET.timeUnit})`,
          formatUsd(b.dailyUsd),
          r('day'),
          `a day of training ${formatUsd(e.dailyTotal)} + ${b.marginPercent}%, rounded up`,
        ],
        [
          `${budgetName(project, RUN_BUDGET)} (${RUN_BUDGET.timeUnit})`,
          formatUsd(b.runUsd),
          r('budget.run'),
          `the run's ${two ? 'high ' : ''}total ${formatUsd(e.runTotal.high)} + ${b.marginPercent}%, rounded up`,
        ],
      ],
      ['left', 'right', 'left', 'left'],
    ),
  );
  out.push(
    ...hanging(
      '  ',
      `Alerts: daily at ${describeNotifications(DAILY_BUDGET)}; run at ${describeNotifications(RUN_BUDGET)}. ` +
        "The daily budget catches a rate of spending well above the plan (another cluster, more nodes) within AWS Budgets' refresh lag " +
        '(up to three updates a day, 8 to 12 hours apart); the run budget catches the total (a hung prepare or compile job, an idle cluster, ' +
        'a longer run), counted over the calendar year. Both see costs only once the cost allocation tag project is activated ' +
        '(README, "The cost budgets").',
      width,
    ),
  );

  out.push('', 'Alarms');
  const stall = e.stall;
  const stallHead =
    stall.from === 'plan'
      ? `stalled training: after ${stall.minutes} minutes without a new step line, derived by the plan (stallAlarmMinutes unset) ${r('stall', 'throughput', 'checkpoint')}:`
      : `stalled training: after ${stall.minutes} minutes without a new step line (stallAlarmMinutes); the plan would derive ${stall.derived.minutes} ${r('stall', 'throughput', 'checkpoint')}:`;
  out.push(...hanging('  ', stallHead, width));
  out.push(...hanging('      ', describeStallDerivation(stall.derived), width));

  out.push(
    '',
    `Time limits of the chain's jobs (sbatch --time), as the training function sets them ${r('time-limits', 'throughput', 'checkpoint')}`,
  );
  for (const stage of STAGES) {
    const time = e.timeLimits.stages[stage];
    out.push(
      ...hanging(`  ${stage.padEnd(10)}${formatLimit(time.minutes).padEnd(25)}`, describeStageTime(time), width),
    );
  }

  out.push('', `While deployed, per month of ${HOURS_PER_MONTH} hours (USD), trained or not`);
  out.push(
    ...renderTable(
      [
        ...e.monthly.map((line) => [line.label, formatUsd(line.usd.high), refs(line.basis, numbers)]),
        ['total', formatUsd(e.monthlyTotal), r('excluded')],
      ],
      ['left', 'right', 'left'],
    ),
  );

  if (e.warnings.length > 0) {
    out.push('', 'Warnings');
    for (const w of e.warnings) out.push(...hanging('  - ', w, width));
  }

  out.push('', 'Assumptions and sources');
  e.assumptions.forEach((a, i) => {
    const tag = `  [${i + 1}]`.padEnd(7);
    out.push(...hanging(tag, a.text, width));
    out.push(...hanging(' '.repeat(7), `source: ${a.source}`, width));
  });
  return out.join('\n');
}

/** A few lines for the end of `cdk synth`: steps, hours, cost, the two budgets, stall threshold. */
export function formatSummary(e: RunEstimate): string {
  const region = e.regionFromConfig ? e.region : `${e.region} (region unset: assumed)`;
  const lines = [
    `trainium-cpt plan: ${formatCount(e.steps.total)} steps (${e.steps.epochs} epochs of ${formatCount(e.data.rows)} rows of ${formatCount(e.data.sequenceLength)} tokens) ` +
      `on ${e.nodes} × ${e.instanceType}, ${between(e.trainingHours, (h) => formatNumber(h, 1))} h of training; ` +
      `${formatCount(e.checkpoints.savedSteps.length)} checkpoints; train time limit ${formatLimit(e.timeLimits.limits.train)}`,
    `trainium-cpt plan: run cost ${between(e.runTotal, formatUsd)} ${e.capacity.kind} in ${region}; budgets (+${e.budgets.marginPercent}%): ` +
      `daily ${formatUsd(e.budgets.dailyUsd)} (a day of training ${formatUsd(e.dailyTotal)}), run ${formatUsd(e.budgets.runUsd)} (high total ${formatUsd(e.runTotal.high)}); ` +
      `stall alarm after ${e.stall.minutes} min` +
      `${e.warnings.length ? `; ${e.warnings.length} warning(s)` : ''}; details and assumptions: npm run plan`,
  ];
  return lines.join('\n');
}
