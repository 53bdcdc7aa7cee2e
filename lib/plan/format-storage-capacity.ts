import { CAPACITY_BLOCK_MARGIN } from './estimate-capacity';
import { CAPACITY_BLOCK_TERMS } from './prices';
import type { RunEstimate } from './estimate';
import { GIB } from './figures';
import { formatCount, formatNumber, formatPrice, formatUsd } from './numbers';
import { hanging, renderTable } from './text';
import type { FsxPhase } from '../run/storage';

/**
 * The sections of the run plan on storage and capacity: what FSx holds and the size it takes, the checkpoint stall
 * and the FSx throughput, and how the Trainium nodes are bought.
 */

/** What the budgets see of capacity bought outside the app (lib/monitoring/cost-budget.ts filters on the tag). */
const TAGGED_ONLY = 'the cost budgets count only costs tagged project = <projectName>:';
const HOW_TO_TAG =
  '(README, "The capacity kind\'s price": --tag-specifications when you buy it, or aws ec2 create-tags afterwards)';

/** Ids of assumptions → their numbers in the plan, "[16,17]". */
export type Refs = (...ids: string[]) => string;
const gib = (bytes: number) => formatNumber(bytes / GIB, 1);

/** What FSx holds, item by item, its peak, and the size it takes. */
export function formatStorage(e: RunEstimate, r: Refs): string[] {
  const s = e.storage;
  const when: Record<FsxPhase, string> = {
    run: 'whole run',
    prepare: 'prepare',
    train: 'train (saves)',
    export: 'export',
  };
  const configured = s.fsxCapacityBytes / GIB;
  return [
    '',
    'Storage on FSx for Lustre (GiB)',
    ...renderTable(
      [
        ['', 'when', 'written', 'on disk'],
        ...s.fsxItems
          .filter((i) => i.bytes > 0)
          .map((i) => [
            i.what,
            when[i.phase],
            gib(i.bytes),
            gib(i.storedBytes),
            r('fsx.items', 'fsx.compression', 'fsx.cache'),
          ]),
        [`peak, during ${s.fsxPeakPhase}`, '', '', gib(s.fsxPeakBytes), r('fsx.size')],
        ['needed, with the margin', '', '', gib(s.fsxNeededBytes), r('fsx.size')],
        ['smallest PERSISTENT_2 size that holds it', '', '', formatCount(s.fsxSmallestGiB), r('fsx.size')],
        [
          'fsxStorageGiB (configured)',
          '',
          '',
          formatCount(configured),
          configured < s.fsxSmallestGiB ? 'too small: see the warnings' : 'holds it',
        ],
      ],
      ['left', 'left', 'right', 'right', 'left'],
    ),
  ];
}

/** The throughput a checkpoint save needs, and each tier's stall against its price. */
export function formatFsxThroughput(e: RunEstimate, r: Refs, width: number): string[] {
  const t = e.fsxThroughput;
  const c = t.configured;
  const tierText =
    t.tier !== undefined ? `fsxThroughputPerTiB ${t.tier}` : 'more than fsxThroughputPerTiB 1000 gives: a larger size';
  return [
    '',
    `Checkpoint saves on FSx: ${formatCount(t.saves)} saves of ${formatNumber(e.storage.checkpointBytes / 1e9, 0)} GB, each stalling training ${r('fsx.throughput', 'checkpoint')}`,
    ...hanging(
      '  ',
      `within checkpointSaveMinutes ${t.saveTargetMinutes}: ${formatCount(t.neededMbPerSecond)} MB/s, ` +
        `${formatNumber(t.neededPerTiB, 1)} MB/s per TiB at ${formatCount(t.sizeGiB)} GiB: ${tierText}`,
      width,
    ),
    ...hanging(
      '  ',
      `configured: ${formatCount(c.sizeGiB)} GiB × ${c.tier} MB/s/TiB = ${formatCount(c.mbPerSecond)} MB/s: a save takes ` +
        `${formatNumber(c.saveMinutes, 1)} min, the run's stall ${formatNumber(c.stallHours, 2)} h (${formatNumber(c.stallNodeHours, 1)} node-hours, ` +
        `${formatUsd(c.stallUsd)})`,
      width,
    ),
    '  what each setting costs per month against what its stall costs per run:',
    ...renderTable(
      [
        ['size GiB', 'MB/s/TiB', 'MB/s', 'save min', 'stall node-h', 'stall USD', 'FSx USD/month', ''],
        ...t.options.map((o) => [
          formatCount(o.sizeGiB),
          String(o.tier),
          formatCount(o.mbPerSecond),
          formatNumber(o.saveMinutes, 1),
          formatNumber(o.stallNodeHours, 1),
          formatUsd(o.stallUsd),
          formatUsd(o.fsxMonthlyUsd),
          [o.configured ? 'configured' : '', o.saveMinutes <= t.saveTargetMinutes ? '' : 'too slow']
            .filter(Boolean)
            .join(', '),
        ]),
      ],
      ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
      '    ',
    ),
    ...againstCheapest(t).flatMap((line) => hanging('  ', line, width)),
  ];
}

/** The configured setting against the cheapest that holds the run (its size at 125 MB/s/TiB), in one line. */
function againstCheapest(t: RunEstimate['fsxThroughput']): string[] {
  const c = t.configured;
  const base = t.options[0];
  if (c.configured && base.configured) return [];
  const monthly = c.fsxMonthlyUsd - base.fsxMonthlyUsd;
  const saved = base.stallNodeHours - c.stallNodeHours;
  return [
    `configured against ${formatCount(base.sizeGiB)} GiB × ${base.tier}: ${monthly >= 0 ? '+' : '-'}${formatUsd(Math.abs(monthly))} a month of FSx, ` +
      `${formatNumber(Math.abs(saved), 1)} node-hours (${formatUsd(Math.abs(base.stallUsd - c.stallUsd))}) ${saved >= 0 ? 'less' : 'more'} stall per run`,
  ];
}

/** How the nodes are bought: the block to buy, or what a Spot interruption costs. */
export function formatCapacity(e: RunEstimate, r: Refs, width: number): string[] {
  const c = e.capacity;
  const price = c.priced
    ? `${formatPrice(c.nodeHourUsd)} per node-hour (capacityPricePerNodeHour)`
    : `the on-demand list price ${formatPrice(c.onDemandUsd)} per node-hour (capacityPricePerNodeHour unset)`;
  const lines: string[] = [];
  if (c.block) {
    const b = c.block;
    lines.push(
      b.days !== undefined && b.usableHours !== undefined && b.instances !== undefined
        ? `the block to buy: ${b.instances} × ${e.instanceType} for ${b.days} days (${formatCount(b.days * 24)} h, ${formatNumber(b.usableHours, 1)} h usable before ` +
            `the training function's stopBy); the chain takes ${formatNumber(b.chainHours, 1)} h at the slower throughput with ` +
            `${formatNumber((CAPACITY_BLOCK_MARGIN - 1) * 100, 0)}% margin, and fits; ${formatUsd(c.runUsd.high)} at ${price}` +
            (c.priced
              ? ''
              : ": a reference only, the block's price is known once you search offerings (aws ec2 describe-capacity-block-offerings)")
        : `no block EC2 sells holds the run (${formatNumber(b.chainHours, 1)} h on ${e.nodes} nodes): see the warnings`,
      `every block ends at ${CAPACITY_BLOCK_TERMS.endsAtUtc} UTC, so an offering may be slightly shorter or longer than asked: buy one whose ` +
        `CapacityBlockDurationHours is at least ${formatCount(b.minimumDurationHours)} h`,
      `${TAGGED_ONLY} a block bought by hand has no tags, so its price is invisible to both budgets until you tag it ${HOW_TO_TAG}. ` +
        'Tagged, EC2 charges its whole price once, when it is bought: the daily budget alerts that day (expected), and the run budget counts it once, with the run',
    );
  } else if (c.spot) {
    const s = c.spot;
    lines.push(
      `Spot at ${c.priced ? price : `${price}, an upper bound`}; an interruption loses ${formatNumber(s.lostHoursPerInterruption, 2)} h of all ${e.nodes} nodes ` +
        `(${formatNumber(s.lostHoursPerInterruption * e.nodes, 1)} node-hours, ${formatUsd(s.lostHoursPerInterruption * e.nodes * c.nodeHourUsd)}); ` +
        (s.breakEvenPerDay !== undefined
          ? `Spot costs as much as on-demand at ${formatNumber(s.breakEvenPerDay, 1)} interruptions a day`
          : 'the break-even rate of interruptions is unknown until you set capacityPricePerNodeHour to the Spot price you expect'),
    );
  } else if (c.kind === 'reservation') {
    const reservationDayUsd = e.nodes * 24 * c.nodeHourUsd;
    const marginHours = (e.budgets.runUsd - e.runTotal.high) / (e.nodes * c.nodeHourUsd);
    lines.push(
      `the reservation's ${e.nodes} nodes at ${price}: ${formatUsd(reservationDayUsd)} a day for every day it exists, trained or not`,
      `${TAGGED_ONLY} EC2 bills the nodes the cluster runs in the reservation as instances, which carry the tag; it bills the reservation's unused ` +
        `hours to the reservation, which has no tags when made by hand: both budgets miss them until you tag it ${HOW_TO_TAG}. Tagged, a day with the ` +
        `nodes idle costs what a day of training does, under the daily limit; the run budget counts every hour the reservation exists, and its margin ` +
        `(${formatUsd(e.budgets.runUsd - e.runTotal.high)}) is ${formatNumber(marginHours, 1)} h of the reservation: kept that much longer than the ` +
        'training, it passes the run budget. Release it when the run ends',
    );
  } else {
    lines.push(
      `on-demand nodes at ${c.priced ? price : `the list price ${formatPrice(c.onDemandUsd)} per node-hour`}, billed while they run`,
    );
  }
  return ['', `Capacity: ${c.kind} ${r(...c.basis)}`, ...lines.flatMap((line) => hanging('  ', line, width))];
}
