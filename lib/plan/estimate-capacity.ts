import { CptConfig } from '../config/schema';
import { RunDerivation } from '../run/derive';
import { fixed, Range, scale } from '../run/range';
import { STAGES } from '../training/contract';
import { formatCount, formatNumber, formatPrice, formatUsd } from './numbers';
import { Assumption, Part } from './part';
import { minutesHeldBeforeBlockEnd, STOP_MARGIN_MINUTES, TERMINATION_LEAD_MINUTES } from '../training/capacity-block';
import { CAPACITY_BILLING, CAPACITY_BLOCK_TERMS } from './prices';
import { LAUNCH_ALLOWANCE_SECONDS } from './stall-threshold';
import { STAGE_START_MINUTES } from './time-limits';

/**
 * The Trainium nodes priced by how they are bought (capacityType): on-demand at the list price; a reservation at
 * capacityPricePerNodeHour or the list price, billed whether used or not; a Capacity Block paid whole, for the
 * smallest block EC2 sells whose usable hours (before the training function's stopBy) hold the chain; Spot at capacityPricePerNodeHour (the list price as an upper bound),
 * with the work an interruption loses and the interruption rate at which Spot stops paying.
 */

export interface CapacityBlock {
  /** The chain's hours at the slower throughput, every stage's estimate and allowances × CAPACITY_BLOCK_MARGIN. */
  readonly chainHours: number;
  /**
   * Hours at the block's end that training cannot use: EC2's termination lead, one checkpoint save and our stop
   * margin, as the training function's stopBy leaves them (lib/training/capacity-block.ts).
   */
  readonly reservedHours: number;
  /** The shortest offering that holds the chain: chainHours + reservedHours, rounded up to whole hours (CapacityBlockDurationHours). */
  readonly minimumDurationHours: number;
  /** The smallest duration EC2 sells whose usable hours (duration − reservedHours) hold chainHours; undefined over 182 days. */
  readonly days?: number;
  /** The block's usable hours: days × 24 − reservedHours. */
  readonly usableHours?: number;
  /** nodeCount, when a block can hold it (up to 64 instances); undefined above. */
  readonly instances?: number;
}

export interface SpotFigures {
  /** Hours of all nodes one interruption costs: half a checkpoint interval + a restart. */
  readonly lostHoursPerInterruption: number;
  readonly checkpointIntervalHours: number;
  readonly restartHours: number;
  /** Interruptions a day at which Spot costs as much as on-demand; undefined without a Spot price. */
  readonly breakEvenPerDay?: number;
}

export interface CapacityFigures {
  readonly kind: CptConfig['capacityType'];
  /** USD per node-hour the plan uses for the kind. */
  readonly nodeHourUsd: number;
  /** False when capacityPricePerNodeHour is unset and the on-demand list price stands in. */
  readonly priced: boolean;
  readonly onDemandUsd: number;
  /** The Trainium line of the run's cost. */
  readonly runUsd: Range;
  readonly label: string;
  readonly block?: CapacityBlock;
  readonly spot?: SpotFigures;
  /** Ids of the assumptions the Trainium line rests on for this kind. */
  readonly basis: readonly string[];
}

/** The smallest Capacity Block duration, in days, that holds `hours`: whole days to 14, whole weeks to 182. */
export function capacityBlockDays(hours: number): number | undefined {
  const days = Math.ceil(hours / 24 - 1e-9);
  if (days <= CAPACITY_BLOCK_TERMS.dailyUpToDays) return Math.max(1, days);
  const weeks = Math.ceil(days / 7) * 7;
  return weeks <= CAPACITY_BLOCK_TERMS.weeklyUpToDays ? weeks : undefined;
}

/** The instance count of a Capacity Block for `nodes`: any count up to CAPACITY_BLOCK_TERMS.maxInstances. */
export function capacityBlockInstances(nodes: number): number | undefined {
  return nodes >= 1 && nodes <= CAPACITY_BLOCK_TERMS.maxInstances ? nodes : undefined;
}

/**
 * The hours at a block's end that training cannot use, as the training function's stopBy leaves them: EC2's
 * termination lead, one checkpoint save and our stop margin (lib/training/capacity-block.ts capacityBlockStop).
 */
export function capacityBlockReservedHours(checkpointSaveMinutes: number): number {
  return minutesHeldBeforeBlockEnd(checkpointSaveMinutes) / 60;
}

/**
 * Our margin on the chain's estimate when choosing a block: the estimate is already the slower throughput's; a tenth
 * more covers queue waits and a restart. Not the time limits' TIME_LIMIT_MARGIN: those bound a job that may be slow,
 * while a block is paid whole, so a block sized by them would cost half as much again for hours that are not used.
 */
export const CAPACITY_BLOCK_MARGIN = 1.1;

/** The whole chain at the slower throughput: every stage's estimated work and allowances, × CAPACITY_BLOCK_MARGIN. */
function chainHours(run: RunDerivation): number {
  const minutes = STAGES.flatMap((s) => run.timeLimits.stages[s].parts).reduce((sum, p) => sum + p.minutes, 0);
  return (minutes * CAPACITY_BLOCK_MARGIN) / 60;
}

/**
 * Spot: one interruption loses, on average, half a checkpoint interval of every node (the work since the newest
 * checkpoint) plus a restart (a job's start, the launch, loading the checkpoint). With k interruptions a day, a
 * training day does 24 − k × lost hours of work, so Spot costs as much as on-demand when
 * spot ÷ (1 − k × lost ÷ 24) = on-demand: k = 24 × (1 − spot ÷ on-demand) ÷ lost.
 */
function spotFigures(
  run: RunDerivation,
  checkpointEverySteps: number,
  onDemandUsd: number,
  spotUsd?: number,
): SpotFigures {
  const b = run.timeLimits.basis;
  const stepHours = b.trainingHours / run.steps;
  const checkpointIntervalHours = checkpointEverySteps * stepHours + b.checkpointSaveMinutes / 60;
  const restartHours = (STAGE_START_MINUTES + LAUNCH_ALLOWANCE_SECONDS / 60 + b.checkpointSaveMinutes) / 60;
  const lostHoursPerInterruption = checkpointIntervalHours / 2 + restartHours;
  const breakEvenPerDay =
    spotUsd === undefined ? undefined : (24 * Math.max(0, 1 - spotUsd / onDemandUsd)) / lostHoursPerInterruption;
  return { lostHoursPerInterruption, checkpointIntervalHours, restartHours, breakEvenPerDay };
}

export function capacityPart(
  config: CptConfig,
  run: RunDerivation,
  onDemandUsd: number,
  nodeHours: Range,
): Part<CapacityFigures> {
  const kind = config.capacityType;
  const own = config.capacityPricePerNodeHour;
  const nodeHourUsd = own ?? onDemandUsd;
  const nodes = config.nodeCount;
  const billing = CAPACITY_BILLING[kind];
  const assumptions: Assumption[] = [{ id: 'capacity', text: billing.text, source: billing.source }];
  const warnings: string[] = [];
  const priceText =
    own !== undefined
      ? `${formatPrice(own)} per node-hour (capacityPricePerNodeHour)`
      : `the on-demand list price ${formatPrice(onDemandUsd)} per node-hour (capacityPricePerNodeHour unset)`;
  let runUsd = scale(nodeHours, nodeHourUsd);
  let label = `Trainium nodes (${nodes} × ${config.instanceType}, ${kind})`;
  let block: CapacityBlock | undefined;
  let spot: SpotFigures | undefined;

  if (kind === 'reservation') {
    assumptions.push({
      id: 'capacity.price',
      text: `the reservation's nodes at ${priceText}; the run's line counts its training hours only, the reservation bills ${formatUsd(nodes * 24 * nodeHourUsd)} for every day it exists`,
      source:
        'configuration key capacityPricePerNodeHour; EC2 On-Demand Capacity Reservation billing (see the note above)',
    });
  } else if (kind === 'capacity-block') {
    const hours = chainHours(run);
    const saveMinutes = run.timeLimits.basis.checkpointSaveMinutes;
    const reservedHours = capacityBlockReservedHours(saveMinutes);
    const minimumDurationHours = Math.ceil(hours + reservedHours - 1e-9);
    const days = capacityBlockDays(minimumDurationHours);
    const usableHours = days === undefined ? undefined : days * 24 - reservedHours;
    const instances = capacityBlockInstances(nodes);
    block = { chainHours: hours, reservedHours, minimumDurationHours, days, usableHours, instances };
    if (days !== undefined && instances !== undefined) {
      runUsd = fixed(instances * days * 24 * nodeHourUsd);
      label = `Capacity Block (${instances} × ${config.instanceType}, ${days} days)`;
    }
    const reserved =
      `${TERMINATION_LEAD_MINUTES} min (EC2 begins terminating its instances then), one checkpoint save (${formatNumber(saveMinutes, 1)} min) ` +
      `and a ${STOP_MARGIN_MINUTES} min margin, as the training function's stopBy leaves them`;
    assumptions.push({
      id: 'capacity.block',
      text:
        `the block to buy: the whole chain (prepare, compile, train, export, evaluate) at the slower throughput, every stage's estimate and allowances ` +
        `× ${CAPACITY_BLOCK_MARGIN} (queue waits, a restart), is ${formatNumber(hours, 1)} h (${formatNumber(hours / 24, 1)} days); a block's usable hours are its duration less ${reserved}; ` +
        `EC2 sells blocks of 1 to ${CAPACITY_BLOCK_TERMS.dailyUpToDays} days, then whole weeks to ${CAPACITY_BLOCK_TERMS.weeklyUpToDays} days, of up to ${CAPACITY_BLOCK_TERMS.maxInstances} instances: ` +
        (days !== undefined && usableHours !== undefined && instances !== undefined
          ? `${instances} instances for ${days} days (${formatCount(days * 24)} h, ${formatNumber(usableHours, 1)} h usable: the chain fits with ${formatNumber(usableHours - hours, 1)} h to spare)`
          : 'none holds it') +
        `; every block ends at ${CAPACITY_BLOCK_TERMS.endsAtUtc} UTC, so an offering may be slightly shorter or longer than asked: buy one whose CapacityBlockDurationHours is at least ` +
        `${formatCount(minimumDurationHours)} h (the chain and those minutes)` +
        (own !== undefined
          ? `, at ${priceText}`
          : `; its price is unknown until you search offerings (aws ec2 describe-capacity-block-offerings --instance-type ${config.instanceType} ` +
            `--instance-count ${instances ?? nodes} --capacity-duration-hours ${(days ?? 0) * 24}): the on-demand list price ${formatPrice(onDemandUsd)} stands in, as a reference only`),
      source: `${CAPACITY_BLOCK_TERMS.source}; lib/training/capacity-block.ts (TERMINATION_LEAD_MINUTES, STOP_MARGIN_MINUTES); lib/plan/time-limits.ts (the stages' estimates)`,
    });
    if (days === undefined)
      warnings.push(
        `Capacity Block: the chain takes about ${formatNumber(hours / 24, 1)} days, longer than the longest block EC2 sells (${CAPACITY_BLOCK_TERMS.weeklyUpToDays} days): ` +
          'use more nodes, or split the run (stopBy and --resume)',
      );
    if (instances === undefined)
      warnings.push(
        `Capacity Block: nodeCount ${nodes} is more than a block holds (${CAPACITY_BLOCK_TERMS.maxInstances} instances, and capacityReservationId names one block): set nodeCount to ${CAPACITY_BLOCK_TERMS.maxInstances} or fewer`,
      );
  } else if (kind === 'spot') {
    spot = spotFigures(run, config.checkpointEverySteps, onDemandUsd, own);
    assumptions.push({
      id: 'capacity.spot',
      text:
        `Spot nodes at ${own !== undefined ? priceText : `${priceText}, an upper bound: set the Spot price you expect`}; an interruption loses on average half a checkpoint interval ` +
        `(${formatNumber(spot.checkpointIntervalHours, 2)} h: ${formatCount(config.checkpointEverySteps)} steps at the slower throughput and a save) of all ${nodes} nodes plus a restart ` +
        `(a job's start ${STAGE_START_MINUTES} min, the launch ${LAUNCH_ALLOWANCE_SECONDS / 60} min, loading the checkpoint ${formatNumber(run.timeLimits.basis.checkpointSaveMinutes, 1)} min) = ` +
        `${formatNumber(spot.lostHoursPerInterruption, 2)} h; Spot costs as much as on-demand at 24 × (1 − Spot ÷ on-demand) ÷ that many interruptions a day` +
        (spot.breakEvenPerDay !== undefined
          ? ` = ${formatNumber(spot.breakEvenPerDay, 1)}`
          : ' (unknown without a Spot price)') +
        '; the wait for replacement capacity is not counted (Spot may not return at once)',
      source:
        'assumption; lib/plan/time-limits.ts (the allowances, the save and load time); configuration key capacityPricePerNodeHour',
    });
  } else if (own !== undefined) {
    assumptions.push({
      id: 'capacity.price',
      text: `the nodes at ${priceText}, instead of the list price ${formatPrice(onDemandUsd)}`,
      source: 'configuration key capacityPricePerNodeHour',
    });
  }
  return {
    figures: {
      kind,
      nodeHourUsd,
      priced: own !== undefined,
      onDemandUsd,
      runUsd,
      label,
      block,
      spot,
      basis: assumptions.map((a) => a.id),
    },
    assumptions,
    warnings,
  };
}
