#!/usr/bin/env bash
# stage-prepare.sh RUN_DIR/request.json: the first job of a run (1 node). Checks the datasets, downloads the base
# model and converts it to the sharded format the training script loads.
#
# Writes:
#   RUN_DIR/base/hf/                  the base model from the Hugging Face Hub (config, tokenizer, safetensors)
#   RUN_DIR/base/full/checkpoint.pt   its full state dict (removed once converted)
#   RUN_DIR/base/nxd/model/dp_rank_00_tp_rank_XX_pp_rank_00.pt   the tensorParallel shards
#   FSX/checkpoints/<run>/pretrained_weight -> RUN_DIR/base/nxd   where the training script looks for them
# Each part is done once: a rerun (requeue, or a new chain of the same run) skips what its .complete marker
# says is there already (the model ID; and the tensor-parallel degree of the shards).
#
# Conversion: examples/training/llama/convert_checkpoints.py of neuronx-distributed v2.28.0 is
# CheckpointConverterBase (src/neuronx_distributed/scripts/checkpoint_converter.py), whose arguments are
#   --input_dir    for --convert_from_full_state: a *file*, read with torch.load (the full state dict)
#   --output_dir   it writes OUTPUT_DIR/model/dp_rank_00_tp_rank_XX_pp_rank_00.pt (torch.save, no xser)
#   --config       the model's config.json (attention heads, KV heads, hidden size)
#   --tp_size, --hw_backend trn1 (required), --convert_from_full_state
#   --qkv_linear   type=bool: argparse turns any non-empty string, "False" included, into True. Llama 2 7B (no
#                  GQA) needs it False, its default, so it is left out; the training script then runs with
#                  --fuse_qkv 0 to match the separate q/k/v shards the converter writes.
# The training script (--pretrained_weight) loads the tag "pretrained_weight" of its --checkpoint_dir when that
# directory has no completed checkpoint: nxd.load_checkpoint(checkpoint_dir, tag="pretrained_weight"), hence the
# link. The link has no "done" file, so `--loading_step latest_if_exists` never mistakes it for a checkpoint, and
# no "checkpoint" file, so --num_kept_checkpoint never prunes it.
# https://github.com/aws-neuron/neuronx-distributed/blob/v2.28.0/src/neuronx_distributed/scripts/checkpoint_converter.py
# https://github.com/aws-neuron/neuronx-distributed/blob/v2.28.0/examples/training/llama/tp_zero1_llama_hf_pretrain/tp_zero1_llama_hf_pretrain.py
# The Neuron tutorial converts the same way, from torch.save(model.state_dict()) of the Hub model, on a compute
# node for its memory: archive/tutorials/finetuning_llama2_7b_ptl.rst (aws-neuron/aws-neuron-sdk, v2.28.0).
set -euo pipefail
STAGE=prepare
[ -f "$(dirname "${1:-/-}")/scripts/stage-lib.sh" ] || { echo "usage: $0 RUN_DIR/request.json" >&2; exit 2; }
# shellcheck source=stage-lib.sh
. "$(dirname "$1")/scripts/stage-lib.sh"
stage_begin "$@"

step "check the datasets"
"$PY" "$SCRIPTS/cpt_lib.py" check-dataset "$(req trainDir)"
domain=$(req evalDir.domain)
general=$(req evalDir.general)
"$PY" "$SCRIPTS/cpt_lib.py" check-dataset "$domain"
[ -z "$general" ] || "$PY" "$SCRIPTS/cpt_lib.py" check-dataset "$general"

step "stage the datasets on FSx"
# FSx for Lustre loads a file from S3 on its first read; restoring them now keeps the first training steps from
# waiting for S3. Best effort: the training reads them anyway.
if command -v lfs >/dev/null 2>&1; then
  for dir in "$(req trainDir)" "$domain" ${general:+"$general"}; do
    find "$dir" -type f -print0 | xargs -0 -r -n 64 -P 8 lfs hsm_restore || say "lfs hsm_restore of $dir failed (ignored)"
  done
else
  say "no lfs command here: the datasets load from S3 on first read"
fi

step "download the base model"
model=$(req baseModel)
if [ "$(cat "$BASE_HF/.complete" 2>/dev/null || true)" = "model=$model" ]; then
  say "$BASE_HF holds $model already"
else
  rm -rf "$BASE_HF"
  secret=$(req hfTokenSecretArn)
  region=$(req secretRegion)
  say "reading the Hugging Face token from $secret"
  token=$(aws secretsmanager get-secret-value --secret-id "$secret" --region "$region" \
    --query SecretString --output text)
  token=${token//[[:space:]]/}
  [[ $token == hf_* ]] ||
    die "secret $secret does not hold a Hugging Face token (tokens start with hf_): aws secretsmanager put-secret-value --secret-id $secret --secret-string <token>"
  say "downloading $model into $BASE_HF"
  HF_TOKEN=$token "$VPY" "$SCRIPTS/hf_checkpoint.py" download --model "$model" --dest "$BASE_HF"
  unset token
  printf 'model=%s\n' "$model" >"$BASE_HF/.complete"
fi

step "check the model's shape"
"$PY" "$SCRIPTS/cpt_lib.py" check-model "$BASE_HF/config.json" "$MODEL_CONFIG"

step "convert the base model to $TP tensor-parallel shards"
if [ "$(cat "$BASE_NXD/.complete" 2>/dev/null || true)" = "model=$model tp=$TP" ]; then
  say "$BASE_NXD holds the $TP shards of $model already"
else
  rm -rf "$BASE_NXD"
  mkdir -p "$RUN_DIR/base/full"
  say "writing the full state dict to $RUN_DIR/base/full/checkpoint.pt"
  "$VPY" "$SCRIPTS/hf_checkpoint.py" full-state --model-dir "$BASE_HF" --out "$RUN_DIR/base/full/checkpoint.pt"
  say "writing the shards to $BASE_NXD"
  "$VPY" "$CONVERTER" --convert_from_full_state --tp_size "$TP" --hw_backend trn1 \
    --config "$MODEL_CONFIG" --input_dir "$RUN_DIR/base/full/checkpoint.pt" --output_dir "$BASE_NXD"
  last_shard=$BASE_NXD/model/$(printf 'dp_rank_00_tp_rank_%02d_pp_rank_00.pt' $((TP - 1)))
  [ -f "$last_shard" ] || die "the converter did not write $last_shard"
  printf 'model=%s tp=%s\n' "$model" "$TP" >"$BASE_NXD/.complete"
  rm -rf "$RUN_DIR/base/full"
fi

step "link the shards as the run's pretrained weights"
mkdir -p "$CKPT_DIR"
ln -sfn "$BASE_NXD" "$CKPT_DIR/pretrained_weight"
say "$CKPT_DIR/pretrained_weight -> $BASE_NXD"
