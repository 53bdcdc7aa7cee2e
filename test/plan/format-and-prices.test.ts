import { estimateRun } from '../../lib/plan/estimate';
import { formatPlan, formatSummary } from '../../lib/plan/format';
import { renderTable } from '../../lib/plan/text';
import { formatCount, formatNumber, formatPrice, formatUsd } from '../../lib/plan/numbers';
import * as prices from '../../lib/plan/prices';
import { defaultConfig } from '../support/app';

describe('number formats', () => {
  test('thousands separators, USD in cents below $1,000 and whole dollars above, published unit prices', () => {
    expect(formatCount(264_006_270_976)).toBe('264,006,270,976');
    expect(formatCount(25_932.8)).toBe('25,933');
    expect(formatNumber(2827.94, 1)).toBe('2,827.9');
    expect(formatUsd(150.3149)).toBe('$150.31');
    expect(formatUsd(999.994)).toBe('$999.99');
    expect(formatUsd(87_636.6)).toBe('$87,637');
    expect(formatPrice(24.78)).toBe('$24.78');
    expect(formatPrice(0.145)).toBe('$0.145');
    expect(formatPrice(0.6)).toBe('$0.60');
  });

  test('tables align their columns: numbers to the right', () => {
    expect(
      renderTable(
        [
          ['a', '1', 'x'],
          ['longer', '1,000', 'y'],
        ],
        ['left', 'right'],
      ),
    ).toEqual(['  a           1  x', '  longer  1,000  y']);
  });
});

describe('the printed plan', () => {
  const e = estimateRun(defaultConfig());
  const text = formatPlan(e);

  test('lists every cost line with its low and high figure and the assumptions it rests on', () => {
    for (const c of e.runCosts) {
      const row = text.split('\n').find((l) => l.trimStart().startsWith(c.label));
      expect(row).toBeDefined();
      expect(row).toContain(formatUsd(c.usd.low));
      expect(row).toContain(formatUsd(c.usd.high));
      expect(row).toMatch(/\[\d+(,\d+)*\]$/);
    }
  });

  test('lists a day of training, line by line, and its total with their assumptions', () => {
    const section = text.slice(text.indexOf('A day of training (USD)'), text.indexOf('\nCost budgets'));
    for (const c of e.daily) {
      const row = section.split('\n').find((l) => l.trimStart().startsWith(c.label));
      expect(row).toContain(formatUsd(c.usd.high));
      expect(row).toMatch(/\[\d+(,\d+)*\]$/);
    }
    // 16 × 24 × $24.78 + 24 × $0.68 + 2,400 GiB × $0.34 × 24 ÷ 730 + 24 × $0.045 + S3 $4.91 = $9,564.65.
    expect(section).toMatch(/\n {2}total +\$9,565 {2}\[\d+,\d+\]\n/);
  });

  test('lists both budgets: name, period, limit, the assumption it rests on, its basis; then their alerts and what each catches', () => {
    const section = text.slice(text.indexOf('Cost budgets (USD)'), text.indexOf('\nAlarms'));
    const numberOf = (id: string) => e.assumptions.findIndex((a) => a.id === id) + 1;
    const lines = section.split('\n');
    expect(lines[0]).toBe('Cost budgets (USD): AWS Budgets of the costs tagged project = <projectName>');
    expect(lines[1]).toBe(
      `  <projectName>-daily-cost (DAILY)    $11,478  [${numberOf('day')}]  a day of training $9,565 + 20%, rounded up`,
    );
    expect(lines[2]).toBe(
      `  <projectName>-run-cost (ANNUALLY)  $105,718  [${numberOf('budget.run')}]  the run's high total $88,098 + 20%, rounded up`,
    );
    const flat = section.replace(/\s+/g, ' ');
    expect(flat).toContain('Alerts: daily at actual cost > 100%; run at actual cost > 80%, > 100%.');
    expect(flat).toContain(
      'the run budget catches the total (a hung prepare or compile job, an idle cluster, a longer run)',
    );
    expect(flat).toContain('cost allocation tag project is activated');
  });

  test('a measured throughput: the run budget rests on the one total', () => {
    const measured = formatPlan(estimateRun(defaultConfig({ measuredTokensPerSecondPerNode: 30_000 })));
    expect(measured).toMatch(
      /<projectName>-run-cost \(ANNUALLY\) +\$[\d,]+ {2}\[\d+\] {2}the run's total \$[\d,]+ \+ 20%, rounded up\n/,
    );
  });

  test('ends with every assumption, numbered, each with its source', () => {
    const tail = text.slice(text.indexOf('Assumptions and sources'));
    const flat = tail.replace(/\s+/g, ' ');
    e.assumptions.forEach((a, i) => {
      expect(tail).toContain(`[${i + 1}]`);
      expect(flat).toContain(`[${i + 1}] ${a.text.replace(/\s+/g, ' ')} source: ${a.source.replace(/\s+/g, ' ')}`);
    });
    expect(tail).toContain('https://aws.amazon.com/ec2/pricing/on-demand/');
    expect(tail).toContain('lib/run/derive.ts');
    expect(tail).toContain('glue/benchmark.py');
  });

  test('shows the saved steps and each stage’s time limit with its derivation', () => {
    expect(text).toMatch(
      /\n {2}checkpoints at steps 500, 1,000, …, 31,000 and 31,472: 63 checkpoints, the newest 3 kept on FSx \[\d+\]\n/,
    );
    const section = text.slice(text.indexOf("Time limits of the chain's jobs"));
    expect(section).toMatch(
      /^Time limits of the chain's jobs \(sbatch --time\), as the training function sets them \[[\d,]+\]\n/,
    );
    // At 1,171.9 MB/s (2,400 GiB × 500 MB/s per TiB) a pass of the 13.5 GB model takes 0.19 min: conversion 4 × 0.19 + 15.
    expect(section).toMatch(
      /\n {2}prepare {3}43 min {19}\(base model download 9\.0 \+ conversion to shards 15\.8\) × 1\.5/,
    );
    expect(section).toMatch(
      /\n {2}train {5}20,037 min \(13\.9 days\) {3}\(training at the slower throughput 13,262\.3/,
    );
    for (const stage of ['compile   190 min (3.2 h)', 'export    97 min (1.6 h)', 'evaluate  269 min (4.5 h)'])
      expect(section).toContain(`\n  ${stage}`);
    const note = e.assumptions.find((a) => a.id === 'time-limits');
    expect(note?.source).toContain('lib/plan/time-limits.ts');
  });

  test('memory warnings of the configuration: tensorParallelDegree below 8, microBatchSize above 1', () => {
    const low = estimateRun(defaultConfig({ tensorParallelDegree: 4, globalBatchSize: 2048 }));
    expect(low.warnings).toContainEqual(
      expect.stringMatching(
        /^tensorParallelDegree 4 \(below 8\) at sequenceLength 4,096 is unlikely to fit a NeuronCore's 16 GiB/,
      ),
    );
    expect(formatPlan(low)).toMatch(/\nWarnings\n {2}- tensorParallelDegree 4/);
    expect(e.warnings).toEqual([]);
  });

  test('keeps lines within the width', () => {
    for (const l of text.split('\n')) expect(l.length).toBeLessThanOrEqual(118);
  });

  test('prints warnings when there are some', () => {
    expect(text).not.toContain('Warnings');
    expect(formatPlan(estimateRun(defaultConfig({ region: 'us-west-2' })))).toMatch(
      /\nWarnings\n {2}- no us-west-2 figure on record for head node/,
    );
  });

  test('for cdk synth: two lines with the steps, the hours, the cost, both budgets and the stall threshold', () => {
    const lines = formatSummary(e).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      'trainium-cpt plan: 31,472 steps (3 epochs of 21,484,375 rows of 4,096 tokens) on 16 × trn1n.32xlarge, 176.7 – 221.0 h of training; ' +
        '63 checkpoints; train time limit 20,037 min (13.9 days)',
    );
    expect(lines[1]).toBe(
      `trainium-cpt plan: run cost ${formatUsd(e.runTotal.low)} – ${formatUsd(e.runTotal.high)} on-demand in us-east-1 (region unset: assumed); ` +
        'budgets (+20%): daily $11,478 (a day of training $9,565), run $105,718 (high total $88,098); stall alarm after 13 min; ' +
        'details and assumptions: npm run plan',
    );
  });
});

describe('the price tables', () => {
  const tables: [string, prices.PriceTable][] = [
    ...Object.entries(prices.EC2_ON_DEMAND),
    ...Object.entries(prices.FSX_PERSISTENT_2).map(([tier, t]): [string, prices.PriceTable] => [`FSx ${tier}`, t]),
    ...Object.entries(prices.SERVICE_PRICES),
  ];

  test.each(tables)(
    '%s: an AWS pricing page, where it was read, the date, positive prices by Region code',
    (_name, table) => {
      expect(table.source).toMatch(/^https:\/\/aws\.amazon\.com\/[a-z0-9/-]+\/pricing\//);
      expect(table.readVia.length).toBeGreaterThan(20);
      expect(table.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(Object.keys(table.byRegion)).toContain('us-east-1');
      for (const [region, usd] of Object.entries(table.byRegion)) {
        expect(region).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
        expect(usd).toBeGreaterThan(0);
      }
    },
  );

  test('both Trainium types are priced in the same Regions, at least us-east-1, us-east-2 and us-west-2', () => {
    const regions = Object.keys(prices.EC2_ON_DEMAND['trn1.32xlarge'].byRegion).sort();
    expect(Object.keys(prices.EC2_ON_DEMAND['trn1n.32xlarge'].byRegion).sort()).toEqual(regions);
    expect(regions).toEqual(expect.arrayContaining(['us-east-1', 'us-east-2', 'us-west-2']));
  });

  test('one FSx PERSISTENT_2 table per throughput tier the configuration accepts, dearer with the throughput', () => {
    expect(Object.keys(prices.FSX_PERSISTENT_2).map(Number)).toEqual([125, 250, 500, 1000]);
    const usd = [125, 250, 500, 1000].map((t) => prices.FSX_PERSISTENT_2[t as 125].byRegion['us-east-1']);
    expect([...usd].sort((a, b) => a - b)).toEqual(usd);
  });
});
