import { EC2Client } from '@aws-sdk/client-ec2';
import { CapacityBlockFacts } from '../../lib/training/capacity-block';
import { InvalidRequestError, show } from '../../lib/training/requests';
import { findCapacityReservation } from '../shared/capacity-reservation';

/**
 * The Capacity Block of the deployed configuration, as EC2 describes it (State, StartDate, EndDate): a submission
 * on capacityType capacity-block stops training before the block ends (lib/training/capacity-block.ts).
 */
export async function describeCapacityBlock(ec2: EC2Client, reservationId: string): Promise<CapacityBlockFacts> {
  let block;
  try {
    block = await findCapacityReservation(ec2, reservationId);
  } catch (error) {
    const err = error as Error;
    throw new Error(
      `EC2 DescribeCapacityReservations of ${reservationId} failed (${err.name}: ${err.message}); nothing was submitted.`,
      { cause: error },
    );
  }
  if (!block) {
    throw new InvalidRequestError([
      `capacityReservationId = ${show(reservationId)} (the deployed configuration's): EC2 knows no such reservation in this account and Region. ` +
        "Accepted: the ID of a Capacity Block of this account and Region; set capacityReservationId to your block's ID and deploy",
    ]);
  }
  return {
    reservationId,
    state: block.State ?? 'unknown',
    ...(block.StartDate && { startDate: block.StartDate }),
    ...(block.EndDate && { endDate: block.EndDate }),
  };
}
