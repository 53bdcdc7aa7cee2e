import { CptConfig } from '../config/schema';
import { RunDerivation } from '../run/derive';
import { checkpointBytes } from './figures';
import { formatCount, formatNumber, formatUsd } from './numbers';
import { Part } from './part';
import { FSX_PERSISTENT_2, PriceTable } from './prices';
import { FSX_BYTES_PER_MB, fsxThroughputBytesPerSecond } from './stall-threshold';

/**
 * How long a checkpoint save stalls training on this FSx file system: the throughput that keeps one save within
 * checkpointSaveMinutes, the run's stall at the configured throughput (saves × save time, the figures of the train
 * stage's time limit), and what each throughput tier costs at the size the run needs against what its stall costs.
 */

export type FsxTier = CptConfig['fsxThroughputPerTiB'];
export const FSX_TIERS: readonly FsxTier[] = [125, 250, 500, 1000];

export interface FsxOption {
  readonly sizeGiB: number;
  readonly tier: FsxTier;
  readonly mbPerSecond: number;
  readonly saveMinutes: number;
  /** Hours the run's saves stall training, and those hours of every node, and what they cost. */
  readonly stallHours: number;
  readonly stallNodeHours: number;
  readonly stallUsd: number;
  readonly fsxMonthlyUsd: number;
  readonly configured: boolean;
}

export interface FsxThroughputFigures {
  readonly saveTargetMinutes: number;
  /** MB/s at which one save takes checkpointSaveMinutes. */
  readonly neededMbPerSecond: number;
  /** The size the run needs (lib/run/storage.ts) and the MB/s per TiB the target takes there. */
  readonly sizeGiB: number;
  readonly neededPerTiB: number;
  /** The smallest tier that meets it at that size; undefined above 1000. */
  readonly tier?: FsxTier;
  readonly saves: number;
  readonly configured: FsxOption;
  /** Every tier at the needed size (and the configured setting, when it is another). */
  readonly options: readonly FsxOption[];
}

/** The smallest throughput tier that gives `mbPerSecond` at `sizeGiB`. */
export function fsxTierFor(mbPerSecond: number, sizeGiB: number): FsxTier | undefined {
  return FSX_TIERS.find(
    (tier) =>
      fsxThroughputBytesPerSecond({ fsxThroughputPerTiB: tier, fsxStorageGiB: sizeGiB }) >=
      mbPerSecond * FSX_BYTES_PER_MB,
  );
}

export function fsxThroughputPart(
  config: CptConfig,
  run: RunDerivation,
  inputs: {
    readonly neededSizeGiB: number;
    readonly nodeHourUsd: number;
    /** The FSx price per GB-month of a tier in the plan's Region (or its fallback). */
    readonly fsxUsd: (table: PriceTable) => number;
  },
): Part<FsxThroughputFigures> {
  const bytes = checkpointBytes();
  const saves = run.timeLimits.basis.savedCheckpoints;
  const nodes = config.nodeCount;
  const target = config.checkpointSaveMinutes;
  const neededMbPerSecond = bytes / (target * 60) / FSX_BYTES_PER_MB;
  const sizeGiB = inputs.neededSizeGiB;
  const neededPerTiB = neededMbPerSecond / (sizeGiB / 1024);
  const option = (size: number, tier: FsxTier): FsxOption => {
    const rate = fsxThroughputBytesPerSecond({ fsxThroughputPerTiB: tier, fsxStorageGiB: size });
    const saveMinutes = bytes / rate / 60;
    const stallHours = (saves * saveMinutes) / 60;
    return {
      sizeGiB: size,
      tier,
      mbPerSecond: rate / FSX_BYTES_PER_MB,
      saveMinutes,
      stallHours,
      stallNodeHours: stallHours * nodes,
      stallUsd: stallHours * nodes * inputs.nodeHourUsd,
      fsxMonthlyUsd: size * inputs.fsxUsd(FSX_PERSISTENT_2[tier]),
      configured: size === config.fsxStorageGiB && tier === config.fsxThroughputPerTiB,
    };
  };
  const configured = option(config.fsxStorageGiB, config.fsxThroughputPerTiB);
  const atNeeded = FSX_TIERS.map((tier) => option(sizeGiB, tier));
  const options = atNeeded.some((o) => o.configured) ? atNeeded : [...atNeeded, configured];
  const tier = fsxTierFor(neededMbPerSecond, sizeGiB);
  const warnings =
    configured.mbPerSecond < neededMbPerSecond
      ? [
          `FSx throughput: fsxStorageGiB ${formatCount(config.fsxStorageGiB)} × fsxThroughputPerTiB ${config.fsxThroughputPerTiB} gives ${formatCount(configured.mbPerSecond)} MB/s, ` +
            `a checkpoint save takes ${formatNumber(configured.saveMinutes, 1)} min, more than checkpointSaveMinutes ${target}: ` +
            `it takes ${formatCount(neededMbPerSecond)} MB/s` +
            (tier !== undefined
              ? `, fsxThroughputPerTiB ${tier} at ${formatCount(sizeGiB)} GiB`
              : `, more than 1000 MB/s per TiB gives at ${formatCount(sizeGiB)} GiB: a larger fsxStorageGiB`),
        ]
      : [];
  return {
    figures: { saveTargetMinutes: target, neededMbPerSecond, sizeGiB, neededPerTiB, tier, saves, configured, options },
    assumptions: [
      {
        id: 'fsx.throughput',
        text:
          `a checkpoint save (${formatNumber(bytes / 1e9, 0)} GB) stops training until it is written: within checkpointSaveMinutes ${target} it takes ` +
          `${formatCount(neededMbPerSecond)} MB/s, ${formatNumber(neededPerTiB, 1)} MB/s per TiB at ${formatCount(sizeGiB)} GiB (${formatNumber(sizeGiB / 1024, 2)} TiB); ` +
          `the run's ${formatCount(saves)} saves stall it ${formatNumber(configured.stallHours, 2)} h at the configured ${formatCount(configured.mbPerSecond)} MB/s ` +
          `(${formatNumber(configured.stallNodeHours, 1)} node-hours, ${formatUsd(configured.stallUsd)}); FSx bills its size × its tier's price whether used or not. ` +
          "Considered, not used: neuronx-distributed's asynchronous save (save_checkpoint(..., async_save=False), a thread that writes while training goes on); " +
          'the example script passes its arguments by position up to num_kept_ckpts and never sets it',
        source:
          'lib/plan/time-limits.ts (the saves and the save time of the train limit); lib/plan/stall-threshold.ts (FSx MB/s = fsxThroughputPerTiB × fsxStorageGiB ÷ 1024); ' +
          'neuronx-distributed v2.28.0 src/neuronx_distributed/trainer/checkpoint.py line 654 (save_checkpoint, async_save=False at line 664); ' +
          'examples/training/llama/tp_zero1_llama_hf_pretrain/tp_zero1_llama_hf_pretrain.py lines 340-351',
      },
    ],
    warnings,
  };
}
