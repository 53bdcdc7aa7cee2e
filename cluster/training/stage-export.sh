#!/usr/bin/env bash
# stage-export.sh RUN_DIR/request.json: the fourth job of a run (1 node). Converts every completed checkpoint
# still on FSx (the newest checkpointsKept, the final one among them) back to Hugging Face format and uploads it.
#
# Writes, per checkpoint step_N:
#   RUN_DIR/export/step_N/full/checkpoint.pt   the merged full state dict (removed once converted)
#   RUN_DIR/export/step_N/hf/                  a Hugging Face model folder (safetensors, config, tokenizer)
#   exportS3Uri/step_N/                        a copy of that folder (aws s3 cp --recursive)
# and RUN_DIR/export/exports.json (also at exportS3Uri/exports.json): the exported checkpoints, the final one
# named: step_<steps>, the last step's (the stage refuses to run without it). Each checkpoint is converted once:
# a rerun skips those whose hf/.complete is newer than the checkpoint's done file.
#
# Conversion: convert_checkpoints.py --convert_to_full_state (neuronx-distributed v2.28.0,
# CheckpointConverterBase.merge_tp_checkpoints): --input_dir is the checkpoint's model/ folder of
# dp_rank_00_tp_rank_XX_pp_rank_00.pt files; the training script saves them with xser (use_xser=True in its
# nxd.save_checkpoint call), hence --load_xser True (type=bool: "True" is True); it writes
# OUTPUT_DIR/checkpoint.pt. The shards hold the training model's fused qkv_proj (--fuse_qkv 1, from the
# --coalesce_qkv True shards of stage-prepare.sh): for a model without GQA and without --qkv_linear,
# merge_tp_checkpoints splits each rank's qkv_proj rows into its q, k and v blocks and concatenates those of all
# ranks into q_proj, k_proj and v_proj (separate q/k/v_proj shards would fail there: KeyError 'q_proj.weight').
# Checked with neuronx-distributed's own code by scripts/nxd-roundtrip.sh (tests/fixtures/nxd-export.json).
set -euo pipefail
[ -f "$(dirname "${1:-/-}")/scripts/stage-lib.sh" ] || { echo "usage: $0 RUN_DIR/request.json" >&2; exit 2; }
# shellcheck source=stage-lib.sh
. "$(dirname "$1")/scripts/stage-lib.sh"
stage_begin export "$@"

step "list the completed checkpoints"
checkpoints=$(cpt checkpoints "$CKPT_DIR")
[ -n "$checkpoints" ] || die "training left no completed checkpoint in $CKPT_DIR"
mapfile -t tags <<<"$checkpoints"
# The final model is the last step's (stage-train.sh ends only once step_<steps> is complete): an older newest
# checkpoint means training did not finish, and exporting it as final would hide that.
steps=$REQ_STEPS
[ "${tags[-1]}" = "step_$steps" ] ||
  die "the newest completed checkpoint in $CKPT_DIR is ${tags[-1]}, not step_$steps (the run's last step): training did not finish; submit the run again with --resume to finish it"
say "checkpoints to export: ${tags[*]} (final: ${tags[-1]})"
export_uri=$REQ_EXPORT_S3_URI

for tag in "${tags[@]}"; do
  out=$EXPORT_DIR/$tag
  step "convert $tag to Hugging Face format"
  if [ -f "$out/hf/.complete" ] && [ "$out/hf/.complete" -nt "$CKPT_DIR/$tag/done" ]; then
    say "$out/hf is complete already (newer than $CKPT_DIR/$tag/done)"
  else
    rm -rf "$out"
    mkdir -p "$out/full"
    say "merging the shards of $CKPT_DIR/$tag into $out/full/checkpoint.pt"
    "$VPY" "$CONVERTER" --convert_to_full_state --tp_size "$REQ_TENSOR_PARALLEL" --hw_backend trn1 --load_xser True \
      --config "$MODEL_CONFIG" --input_dir "$CKPT_DIR/$tag/model" --output_dir "$out/full"
    say "writing the Hugging Face model $out/hf"
    "$VPY" "$SCRIPTS/hf_checkpoint.py" to-hf --full "$out/full/checkpoint.pt" --base-dir "$BASE_HF" --out "$out/hf"
    : >"$out/hf/.complete"
    rm -rf "$out/full"
  fi
  step "upload $tag"
  destination=$(cpt s3-join "$export_uri" "$tag")/
  say "copying $out/hf to $destination"
  aws s3 cp --recursive --only-show-errors --exclude .complete "$out/hf" "$destination"
done

step "record the exports"
cpt exports-json "$EXPORT_DIR/exports.json" "$export_uri" "$EXPORT_DIR" "${tags[@]}"
destination=$(cpt s3-join "$export_uri" exports.json)
aws s3 cp --only-show-errors "$EXPORT_DIR/exports.json" "$destination"
say "wrote $EXPORT_DIR/exports.json and $destination"
