import {
  checkpointBytes,
  COMPILE_CACHE_BYTES,
  FSX_COMPRESSION,
  FSX_SIZE_MARGIN,
  GIB,
  REPORT_BYTES,
  rowBytes,
  smallestFsxSizeGiB,
} from '../plan/figures';
import { MODEL_BYTES } from '../plan/time-limits';

/**
 * What a run stores: its datasets and checkpoints in S3 (everything), and on FSx what the stage scripts write there
 * and when they delete it (cluster/training/stage-*.sh), from the sizes of lib/plan/figures.ts. Pure.
 */

/**
 * When an item is on FSx: the whole run (written once, kept), or one stage only (written and deleted there, or the
 * checkpoint a save writes before it prunes the oldest). FSx must hold the whole-run items plus the largest stage.
 */
export type FsxPhase = 'run' | 'prepare' | 'train' | 'export';
const FSX_PHASES: readonly Exclude<FsxPhase, 'run'>[] = ['prepare', 'train', 'export'];

export interface FsxItem {
  readonly what: string;
  readonly phase: FsxPhase;
  /** Bytes as written. */
  readonly bytes: number;
  /** Bytes on the disks after FSx's LZ4 compression. */
  readonly storedBytes: number;
}

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
  /** What FSx holds, item by item. */
  readonly fsxItems: readonly FsxItem[];
  /** The stage at which FSx holds the most, and that most (after compression). */
  readonly fsxPeakPhase: Exclude<FsxPhase, 'run'>;
  readonly fsxPeakBytes: number;
  /** The peak plus FSX_SIZE_MARGIN: what FSx needs. */
  readonly fsxNeededBytes: number;
  /** The smallest PERSISTENT_2 capacity that holds fsxNeededBytes. */
  readonly fsxSmallestGiB: number;
  readonly fsxCapacityBytes: number;
}

/**
 * Free FSx space below which the next checkpoint save may not fit: one checkpoint and a quarter (training writes the
 * new one before it prunes the oldest; the quarter is room for logs and exports). In whole GiB, rounded up.
 */
export function fsxLowFreeGiB(): number {
  return Math.ceil((1.25 * checkpointBytes()) / GIB);
}

/**
 * What FSx holds during a run (cluster/training/stage-*.sh write it under RUN_DIR = FSX/.../<run>):
 * - the datasets, restored from S3 by prepare and read by train and evaluate (compressed as measured);
 * - the base model from the Hub, RUN_DIR/base/hf (kept: export and evaluate read it), and its tensor-parallel shards,
 *   RUN_DIR/base/nxd (kept: the run's pretrained_weight), each MODEL_BYTES (bfloat16 matrices, hf_checkpoint.py);
 * - prepare only: the full state dict between them, RUN_DIR/base/full (deleted once converted);
 * - the compile cache, FSX/trainium-cpt/compile-cache (kept, shared by the runs);
 * - the newest checkpointsKept checkpoints, and during a save one more: neuronx-distributed v2.28.0 saves the new one,
 *   marks it done, then removes the oldest (trainer/checkpoint.py, CheckpointIOState.end, synchronous save);
 * - export only: each kept checkpoint as a Hugging Face model, RUN_DIR/export/step_N/hf (kept: evaluate reads them),
 *   and the merged full state dict of the one being converted, RUN_DIR/export/step_N/full (deleted once converted);
 * - the evaluation's reports, RUN_DIR/report.
 * Checkpoints, models and the compile cache are counted as incompressible.
 */
function fsxItems(input: { readonly datasetBytes: number; readonly saved: number; readonly kept: number }) {
  const one = checkpointBytes();
  const datasetStored = input.datasetBytes * (1 - FSX_COMPRESSION.datasetSavedShare);
  const item = (what: string, phase: FsxPhase, bytes: number, storedBytes = bytes): FsxItem => ({
    what,
    phase,
    bytes,
    storedBytes,
  });
  const kept = Math.min(input.saved, input.kept);
  const duringSave = Math.min(input.saved, input.kept + 1) - kept;
  return [
    item('datasets (train and held-out)', 'run', input.datasetBytes, datasetStored),
    item('base model, Hugging Face (base/hf)', 'run', MODEL_BYTES),
    item('base model, tensor-parallel shards (base/nxd)', 'run', MODEL_BYTES),
    item('compile cache (trainium-cpt/compile-cache)', 'run', COMPILE_CACHE_BYTES),
    item(`${kept} kept checkpoint${kept === 1 ? '' : 's'}`, 'run', kept * one),
    item('evaluation reports (report/)', 'run', REPORT_BYTES),
    item("base model's full state dict (base/full)", 'prepare', MODEL_BYTES),
    item('the checkpoint being saved before the oldest is pruned', 'train', duringSave * one),
    item(`${kept} export${kept === 1 ? '' : 's'}, Hugging Face (export/step_N/hf)`, 'export', kept * MODEL_BYTES),
    item('the full state dict being converted (export/step_N/full)', 'export', MODEL_BYTES),
  ];
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
  const items = fsxItems({ datasetBytes, saved: input.savedCheckpoints, kept: input.checkpointsKept });
  const stored = (phase: FsxPhase) => items.filter((i) => i.phase === phase).reduce((sum, i) => sum + i.storedBytes, 0);
  const peakPhase = FSX_PHASES.reduce((a, b) => (stored(b) > stored(a) ? b : a));
  const fsxPeakBytes = stored('run') + stored(peakPhase);
  const fsxNeededBytes = fsxPeakBytes * (1 + FSX_SIZE_MARGIN);
  return {
    bytesPerRow,
    datasetBytes,
    checkpoints: input.savedCheckpoints,
    checkpointBytes: one,
    keptOnFsx,
    s3Bytes: datasetBytes + input.savedCheckpoints * one,
    fsxItems: items,
    fsxPeakPhase: peakPhase,
    fsxPeakBytes,
    fsxNeededBytes,
    fsxSmallestGiB: smallestFsxSizeGiB(fsxNeededBytes / GIB),
    fsxCapacityBytes: input.fsxStorageGiB * GIB,
  };
}
