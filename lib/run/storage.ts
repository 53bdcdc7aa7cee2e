import { checkpointBytes, GIB, rowBytes } from '../plan/figures';

/**
 * What a run stores: its datasets and checkpoints, in S3 (everything) and on FSx (the datasets and the kept
 * checkpoints), from the sizes of lib/plan/figures.ts. Pure.
 */
export interface StorageFigures {
  readonly bytesPerRow: number;
  /** The training and held-out sets. */
  readonly datasetBytes: number;
  /** Checkpoints saved (every one reaches S3). */
  readonly checkpoints: number;
  readonly checkpointBytes: number;
  /** Checkpoints on FSx at the end: the newest checkpointsKept of them. */
  readonly keptOnFsx: number;
  /** Everything in S3 after the run: the datasets and every checkpoint. */
  readonly s3Bytes: number;
  /** On FSx during the run: the datasets and the kept checkpoints. */
  readonly fsxNeededBytes: number;
  readonly fsxCapacityBytes: number;
}

/**
 * Free FSx space below which the next checkpoint save may not fit: one checkpoint and a quarter (training writes the
 * new one before it prunes the oldest; the quarter is room for logs and exports). In whole GiB, rounded up.
 */
export function fsxLowFreeGiB(): number {
  return Math.ceil((1.25 * checkpointBytes()) / GIB);
}

export function storageFigures(input: {
  readonly rows: number;
  readonly evalRows: number;
  readonly sequenceLength: number;
  readonly savedCheckpoints: number;
  readonly checkpointsKept: number;
  readonly fsxStorageGiB: number;
}): StorageFigures {
  const bytesPerRow = rowBytes(input.sequenceLength);
  const datasetBytes = (input.rows + input.evalRows) * bytesPerRow;
  const one = checkpointBytes();
  const keptOnFsx = Math.min(input.savedCheckpoints, input.checkpointsKept);
  return {
    bytesPerRow,
    datasetBytes,
    checkpoints: input.savedCheckpoints,
    checkpointBytes: one,
    keptOnFsx,
    s3Bytes: datasetBytes + input.savedCheckpoints * one,
    fsxNeededBytes: datasetBytes + keptOnFsx * one,
    fsxCapacityBytes: input.fsxStorageGiB * GIB,
  };
}
