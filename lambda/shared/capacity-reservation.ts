import { CapacityReservation, DescribeCapacityReservationsCommand, EC2Client } from '@aws-sdk/client-ec2';

/**
 * One capacity reservation (an On-Demand Capacity Reservation or a Capacity Block) as EC2 describes it, or undefined
 * when EC2 knows no such ID in this Region for this account (its InvalidCapacityReservationId.NotFound / .Malformed
 * errors, or an answer without it). Any other error is the caller's to report.
 */
export async function findCapacityReservation(
  ec2: EC2Client,
  reservationId: string,
): Promise<CapacityReservation | undefined> {
  try {
    const response = await ec2.send(
      new DescribeCapacityReservationsCommand({ CapacityReservationIds: [reservationId] }),
    );
    return response.CapacityReservations?.find((r) => r.CapacityReservationId === reservationId);
  } catch (error) {
    if (/^InvalidCapacityReservationId\./.test((error as Error).name)) return undefined;
    throw error;
  }
}
