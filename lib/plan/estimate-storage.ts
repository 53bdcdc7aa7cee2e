import { CptConfig } from '../config/schema';
import { RunDerivation } from '../run/derive';
import { StorageFigures, storageFigures } from '../run/storage';
import {
  CHECKPOINT,
  COMPILE_CACHE_BYTES,
  FSX_COMPRESSION,
  FSX_SIZE_MARGIN,
  GIB,
  REPORT_BYTES,
  ROW_BYTES_PER_TOKEN,
  ROW_BYTES_SOURCE,
  ROW_OFFSET_BYTES,
} from './figures';
import { MODEL_BYTES, MODEL_BYTES_SOURCE } from './time-limits';
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
  const gib = (bytes: number) => formatNumber(bytes / GIB, 1);
  const warnings =
    config.fsxStorageGiB < storage.fsxSmallestGiB
      ? [
          `FSx: the run needs ${gib(storage.fsxNeededBytes)} GiB (its peak, during ${storage.fsxPeakPhase}, ${gib(storage.fsxPeakBytes)} GiB after compression, ` +
            `+ ${FSX_SIZE_MARGIN * 100}%), more than fsxStorageGiB ${formatCount(config.fsxStorageGiB)}: set fsxStorageGiB to ${formatCount(storage.fsxSmallestGiB)}, ` +
            'the smallest PERSISTENT_2 size that holds it (1200, or a multiple of 2400)',
        ]
      : [];
  const samples = (list: readonly { name: string; savedShare: number }[]) =>
    list.map((s) => `${s.name} ${formatNumber(s.savedShare * 100, 1)}%`).join(', ');
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
      {
        id: 'fsx.items',
        text:
          `on FSx for the whole run: the datasets, the base model from the Hub (base/hf: float16 safetensors) and its tensor-parallel shards (base/nxd: bfloat16 matrices ` +
          `and float32 norms, the training model's dtypes, which hf_checkpoint.py full-state casts to), ${formatNumber(MODEL_BYTES / 1e9, 1)} GB each, the compile cache, ` +
          `the newest ${config.checkpointsKept} checkpoints and the reports; during prepare the base model's full state dict (${formatNumber(MODEL_BYTES / 1e9, 1)} GB, deleted once converted); ` +
          'during train one checkpoint more (a save writes the new one, marks it done, then prunes the oldest); during export a Hugging Face copy of each kept checkpoint ' +
          `(bfloat16 safetensors, ${formatNumber(MODEL_BYTES / 1e9, 1)} GB, kept for evaluate) and the merged full state dict of the one being converted (bfloat16, deleted once converted). ` +
          "One run on the file system: remove an earlier run's folders or count them",
        source:
          `cluster/training/stage-prepare.sh, stage-export.sh, stage-evaluate.sh, stage-lib.sh (what each writes and deletes); hf_checkpoint.py; ${MODEL_BYTES_SOURCE}; ` +
          'neuronx-distributed v2.28.0 src/neuronx_distributed/trainer/checkpoint.py (CheckpointIOState.end: save, done file, then submit_remove); ' +
          'cluster/training/tests/fixtures/nxd-export.json (the merged full state: bfloat16 matrices, float32 norms)',
      },
      {
        id: 'fsx.compression',
        text:
          `FSx compresses with LZ4: the datasets take ${formatNumber((1 - FSX_COMPRESSION.datasetSavedShare) * 100, 1)}% of their size, the smallest saving measured ` +
          `(${samples(FSX_COMPRESSION.datasetSamples)}; blocks of ${FSX_COMPRESSION.blockBytes.map((b) => `${b / 1024} KiB`).join(' and ')}, the larger result of each); ` +
          'the sample corpus is synthetic template text, which repeats more than real text, and uniform token ids are a floor. Checkpoints, models and the compile cache ' +
          `are counted as incompressible (random weight-like tensors: ${samples(FSX_COMPRESSION.tensorSamples)}; they are not real Llama weights)`,
        source: `${FSX_COMPRESSION.source} (measured ${FSX_COMPRESSION.measuredOn}: ${FSX_COMPRESSION.command})`,
      },
      {
        id: 'fsx.cache',
        text:
          `assumption: the compile cache takes ${formatNumber(COMPILE_CACHE_BYTES / GIB, 0)} GiB (a compiled module is a model.neff of about 10 MB and a model.hlo.pb under 4 MB; ` +
          `a training compile makes tens of them, each new shape of run adds its own); the reports under ${formatNumber(REPORT_BYTES / 1e6, 0)} MB`,
        source:
          'assumption; module sizes: huggingface.co/aws-neuron/optimum-neuron-cache (e.g. neuronxcc-2.13.68.0+6dfecc895/MODULE_15802586341549674454+55d6a20f: model.neff 10 MB, model.hlo.pb 3.58 MB); cache path: cluster/training/stage-lib.sh',
      },
      {
        id: 'fsx.size',
        text:
          `FSx needs the whole-run items plus the largest stage's (${storage.fsxPeakPhase}: ${gib(storage.fsxPeakBytes)} GiB after compression) + ${FSX_SIZE_MARGIN * 100}% ` +
          '(our margin: logs, a slower prune, leftovers of another run, a file system that slows as it fills) = ' +
          `${gib(storage.fsxNeededBytes)} GiB; PERSISTENT_2 offers 1,200 GiB or multiples of 2,400: ${formatCount(storage.fsxSmallestGiB)} GiB`,
        source:
          'assumption (the margin); the sizes: lib/config/schema.ts (the fsxStorageGiB rule, as in the project design notes)',
      },
    ],
    warnings,
  };
}
