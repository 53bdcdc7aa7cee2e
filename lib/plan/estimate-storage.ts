import { CptConfig } from '../config/schema';
import { RunDerivation } from '../run/derive';
import { StorageFigures, storageFigures } from '../run/storage';
import { CHECKPOINT, GIB, ROW_BYTES_PER_TOKEN, ROW_BYTES_SOURCE, ROW_OFFSET_BYTES } from './figures';
import { TrainingSetFigures } from './estimate-data';
import { formatCount, formatNumber } from './numbers';
import { Part } from './part';

/** What the run stores in S3 and on FSx, and whether FSx holds it. */
export function storagePart(config: CptConfig, set: TrainingSetFigures, run: RunDerivation): Part<StorageFigures> {
  const seq = config.sequenceLength;
  const storage = storageFigures({
    rows: set.rows,
    evalRows: set.evalRows,
    sequenceLength: seq,
    savedCheckpoints: run.savedSteps.length,
    checkpointsKept: config.checkpointsKept,
    fsxStorageGiB: config.fsxStorageGiB,
  });
  const one = storage.checkpointBytes;
  const warnings =
    storage.fsxNeededBytes > storage.fsxCapacityBytes
      ? [
          `FSx: the datasets and ${storage.keptOnFsx} kept checkpoints need ${formatNumber(storage.fsxNeededBytes / GIB, 0)} GiB, ` +
            `more than fsxStorageGiB ${formatCount(config.fsxStorageGiB)}: raise it (1200, or a multiple of 2400)`,
        ]
      : [];
  return {
    figures: storage,
    assumptions: [
      {
        id: 'bytes.row',
        text:
          `a row of ${formatCount(seq)} tokens is ${formatCount(storage.bytesPerRow)} bytes: ${ROW_BYTES_PER_TOKEN} bytes a token (input_ids int32, attention_mask int8, labels int32) + ${ROW_OFFSET_BYTES} bytes of offsets; ` +
          `datasets (train and held-out) = ${formatNumber(storage.datasetBytes / GIB, 1)} GiB`,
        source: ROW_BYTES_SOURCE,
      },
      {
        id: 'checkpoint',
        text:
          `assumption: a checkpoint is ${formatNumber(CHECKPOINT.parameters / 1e9, 0)} billion parameters × ${CHECKPOINT.bytesPerParameter} bytes ` +
          `(BF16 weights 2 + FP32 master weights 4 + Adam's two FP32 moments 8) = ${formatNumber(one / 1e9, 0)} GB (${formatNumber(one / GIB, 1)} GiB); ` +
          `one every ${formatCount(config.checkpointEverySteps)} steps and the final one = ${formatCount(storage.checkpoints)}, all kept in S3, the newest ${config.checkpointsKept} on FSx; ` +
          'S3 bills GB-months of 2^30 bytes',
        source: 'assumption (sizes); README, "The chain of jobs" (every checkpoint reaches the checkpoints bucket)',
      },
    ],
    warnings,
  };
}
