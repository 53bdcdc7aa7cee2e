import { formatLimit, TimeLimits } from '../plan/time-limits';
import { Stage } from './contract';
import { InvalidRequestError, show } from './requests';

/**
 * The request's stopBy on a Capacity Block (capacityType capacity-block): the UTC time by which training has stopped
 * at a completed checkpoint (cluster/training/cpt/stop_by.py), worked out at submission from the block EC2 describes.
 * Pure: the training function describes the block (lambda/submit/capacity-block.ts) and passes what EC2 said.
 */

/**
 * The CapacityReservation states in which a block can still run a job: active, or scheduled to start (the others:
 * expired, cancelled, pending, failed, payment-pending, payment-failed, assessing, delayed, unsupported; EC2 API
 * reference, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CapacityReservation.html, State).
 */
export const USABLE_BLOCK_STATES = ['active', 'scheduled'] as const;
/**
 * EC2 begins terminating a Capacity Block's instances 30 minutes before its end: "Forty minutes before your Capacity
 * Block reservation ends, you receive [an event] that tells you that any instances running in the reservation will
 * begin to terminate in 10 minutes" (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-blocks-monitor.html).
 */
export const TERMINATION_LEAD_MINUTES = 30;
/**
 * Our choice: room after the last checkpoint for the train job to end, Slurm's epilog, and the head node's clock
 * against EC2's.
 */
export const STOP_MARGIN_MINUTES = 10;

/** The minutes before a block's end that training cannot use: EC2's termination lead, one save, our margin. */
export function minutesHeldBeforeBlockEnd(checkpointSaveMinutes: number): number {
  return TERMINATION_LEAD_MINUTES + checkpointSaveMinutes + STOP_MARGIN_MINUTES;
}
/** The stages that run before training stops: all of them need the block's nodes. */
const STAGES_BEFORE_STOP: readonly Stage[] = ['prepare', 'compile', 'train'];

/** What EC2 DescribeCapacityReservations says of the block (dates absent when EC2 gives none). */
export interface CapacityBlockFacts {
  readonly reservationId: string;
  readonly state: string;
  readonly startDate?: Date;
  readonly endDate?: Date;
}

export interface StopByInput {
  readonly block: CapacityBlockFacts;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** The run's time limits: their basis gives one checkpoint save, their parts the estimated work. */
  readonly timeLimits: TimeLimits;
  readonly run: string;
}

/** The block as the submission's answer shows it: EC2's facts (UTC to the second) and the stopBy made from them. */
export interface CapacityBlockAnswer {
  readonly reservationId: string;
  readonly state: string;
  readonly startDate?: string;
  readonly endDate: string;
  /** YYYY-MM-DDTHH:MM:SSZ, rounded down to the second: the request's stopBy. */
  readonly stopBy: string;
}

export interface StopByDecision {
  readonly stopBy: string;
  readonly warnings: string[];
  readonly answer: CapacityBlockAnswer;
}

const MINUTE_MS = 60_000;

/** `2026-01-02T11:30:00Z`: UTC to the second, as the request's stopBy is written. */
export function utcSecond(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * stopBy = the block's end − TERMINATION_LEAD_MINUTES − one checkpoint save (the plan's, from the checkpoint's bytes
 * and the FSx throughput) − STOP_MARGIN_MINUTES. Refuses (InvalidRequestError naming capacityReservationId) a block
 * that is not active or scheduled, has no end, or whose stopBy comes before the run could start; warns when the
 * estimated prepare, compile and train stages at the slower throughput end after stopBy.
 */
export function capacityBlockStop(input: StopByInput): StopByDecision {
  const { block, now, timeLimits, run } = input;
  const id = `capacityReservationId = ${show(block.reservationId)} (the deployed configuration's)`;
  const redeploy = 'buy a Capacity Block, set capacityReservationId to its ID and deploy';
  if (!(USABLE_BLOCK_STATES as readonly string[]).includes(block.state)) {
    throw new InvalidRequestError([
      `${id}: the Capacity Block is ${show(block.state)} (EC2 DescribeCapacityReservations), not ${USABLE_BLOCK_STATES.join(' or ')}: nothing can run on it. Accepted: an active or scheduled block; ${redeploy}`,
    ]);
  }
  if (block.endDate === undefined) {
    throw new InvalidRequestError([
      `${id}: EC2 gives the reservation no end date, which a Capacity Block has (an On-Demand Capacity Reservation is capacityType reservation). Accepted: a Capacity Block; ${redeploy}`,
    ]);
  }
  const saveMinutes = timeLimits.basis.checkpointSaveMinutes;
  const end = block.endDate.getTime();
  const stopByMs = end - minutesHeldBeforeBlockEnd(saveMinutes) * MINUTE_MS;
  const stopBy = utcSecond(stopByMs);
  const start = Math.max(now, block.startDate?.getTime() ?? now);
  const from = start > now ? `its start, ${utcSecond(start)}` : `now, ${utcSecond(now)}`;
  const how =
    `the block's end ${utcSecond(end)} less ${TERMINATION_LEAD_MINUTES} min (EC2 begins terminating its instances then), ` +
    `one checkpoint save (${saveMinutes.toFixed(1)} min) and a ${STOP_MARGIN_MINUTES} min margin`;
  if (stopByMs <= start) {
    throw new InvalidRequestError([
      `${id}: training would have to stop by ${stopBy} (${how}), before ${from}: the run could not even start. Accepted: a block that leaves time to train; ${redeploy}`,
    ]);
  }
  const neededMinutes = STAGES_BEFORE_STOP.reduce(
    (sum, stage) => sum + timeLimits.stages[stage].parts.reduce((s, part) => s + part.minutes, 0),
    0,
  );
  const leftMinutes = (stopByMs - start) / MINUTE_MS;
  const warnings: string[] = [];
  if (neededMinutes > leftMinutes) {
    warnings.push(
      `the Capacity Block ${block.reservationId} leaves ${formatLimit(Math.floor(leftMinutes))} from ${from} to stopBy ${stopBy} (${how}), ` +
        `and the prepare, compile and train stages need about ${formatLimit(Math.ceil(neededMinutes))} at the slower throughput: ` +
        `training stops at its newest checkpoint by then; continue it on a new block with npm run submit -- --run ${run} --resume`,
    );
  }
  const answer: CapacityBlockAnswer = {
    reservationId: block.reservationId,
    state: block.state,
    ...(block.startDate && { startDate: utcSecond(block.startDate.getTime()) }),
    endDate: utcSecond(end),
    stopBy,
  };
  return { stopBy, warnings, answer };
}
