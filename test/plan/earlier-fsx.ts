/**
 * The FSx of the configuration's earlier defaults, 1,200 GiB × 250 MB/s per TiB (292.97 MB/s): the hand calculations
 * of the cost, time-limit and stall tests were worked out with it, and hold for it. The current defaults (cdk.json)
 * have their own tests (test/plan/storage-and-capacity.test.ts).
 */
export const EARLIER_FSX = { fsxStorageGiB: 1200, fsxThroughputPerTiB: 250 } as const;
