#!/usr/bin/env bash
# stage-prepare.sh RUN_DIR/request.json: the first job of a run (1 node). Checks the datasets, downloads the base
# model and converts it to the sharded format the training script loads.
#
# Writes:
#   RUN_DIR/patched/tp_zero1_llama_hf_pretrain.py   the example's training script with nxd-pretrain.patch applied,
#                                                   next to a copy of resume_data.py, which it imports
#                                     (exact resume of the data order, a checkpoint at the last step), which
#                                     compile and train run; written again by every prepare job
#   RUN_DIR/base/hf/                  the base model from the Hugging Face Hub (config, tokenizer, safetensors)
#   RUN_DIR/base/full/checkpoint.pt   its full state dict (removed once converted)
#   RUN_DIR/base/nxd/model/dp_rank_00_tp_rank_XX_pp_rank_00.pt   the tensorParallel shards
#   FSX/checkpoints/<run>/pretrained_weight -> RUN_DIR/base/nxd   where the training script looks for them
# Each part is done once: a rerun (requeue, or a new chain of the same run) skips what its .complete marker
# says is there already: the model ID; for the shards also the tensor-parallel degree and SHARDS_RECIPE, the
# converter's flags (so shards of another q/k/v layout, made before a change of flags, are made again).
#
# Conversion: examples/training/llama/convert_checkpoints.py of neuronx-distributed v2.28.0 is
# CheckpointConverterBase (src/neuronx_distributed/scripts/checkpoint_converter.py), whose arguments are
#   --input_dir    for --convert_from_full_state: a *file*, read with torch.load (the full state dict)
#   --output_dir   it writes OUTPUT_DIR/model/dp_rank_00_tp_rank_XX_pp_rank_00.pt (torch.save, no xser)
#   --config       the model's config.json (attention heads, KV heads, hidden size)
#   --tp_size, --hw_backend trn1 (required), --convert_from_full_state
#   --coalesce_qkv True   q/k/v in the training model's fused layout: per layer one qkv_proj.weight whose rank-r
#                  block is [q_r; k_r; v_r] (coalesce_qkv). That is the one ColumnParallelLinear qkv_proj that
#                  modeling_llama_nxd.py's LlamaAttention builds for --fuse_qkv 1 (cpt/arguments.py; the
#                  script's default) when heads == KV heads, as in Llama 2 7B, and the layout --convert_to_full_state
#                  splits back for a model without GQA (stage-export.sh). Without it the shards hold separate
#                  q/k/v_proj: a --fuse_qkv 0 model loads them, but the export then fails (KeyError 'q_proj.weight').
#   type=bool flags (--coalesce_qkv, --qkv_linear, --load_xser): argparse turns any non-empty string, "False"
#                  included, into True, so a flag meant False is left out (--qkv_linear, for GQA models).
# scripts/nxd-roundtrip.sh runs these conversions and the training script's model with neuronx-distributed's own
# code on CPU; what they produced is in tests/fixtures/nxd-*.json, which the CI fake converter replays.
# The training script (--pretrained_weight) loads the tag "pretrained_weight" of its --checkpoint_dir when it
# runs with --loading_step -1 (stage-train.sh, when that directory has no completed checkpoint):
# nxd.load_checkpoint(checkpoint_dir, tag="pretrained_weight"), hence the link. The link has no "done" file, so
# it is never taken for a completed checkpoint, and no "checkpoint" file, so --num_kept_checkpoint never prunes it.
# https://github.com/aws-neuron/neuronx-distributed/blob/v2.28.0/src/neuronx_distributed/scripts/checkpoint_converter.py
# https://github.com/aws-neuron/neuronx-distributed/blob/v2.28.0/examples/training/llama/tp_zero1_llama_hf_pretrain/tp_zero1_llama_hf_pretrain.py
# The Neuron tutorial converts the same way, from torch.save(model.state_dict()) of the Hub model, on a compute
# node for its memory: archive/tutorials/finetuning_llama2_7b_ptl.rst (aws-neuron/aws-neuron-sdk, v2.28.0).
set -euo pipefail
[ -f "$(dirname "${1:-/-}")/scripts/stage-lib.sh" ] || { echo "usage: $0 RUN_DIR/request.json" >&2; exit 2; }
# shellcheck source=stage-lib.sh
. "$(dirname "$1")/scripts/stage-lib.sh"
stage_begin prepare "$@"

step "patch the training script"
# GNU patch (on ParallelCluster's Ubuntu nodes: the cookbook installs dkms, which depends on dpkg-dev, which
# depends on patch). --fuzz=0: every context line must match the example of this release exactly; rejected hunks
# are not kept (--reject-file=-): the stage fails and says so.
mkdir -p "$(dirname "$PATCHED_SCRIPT")"
if ! patch --fuzz=0 --batch --reject-file=- -o "$PATCHED_SCRIPT.tmp" "$EXAMPLE_SCRIPT" "$SCRIPTS/nxd-pretrain.patch"; then
  rm -f "$PATCHED_SCRIPT.tmp"
  die "nxd-pretrain.patch does not apply to $EXAMPLE_SCRIPT (Neuron $REQ_NEURON_RELEASE): the patch is written for tag v2.28.0 of neuronx-distributed; the rejected hunks are listed above"
fi
cp "$SCRIPTS/resume_data.py" "$(dirname "$PATCHED_SCRIPT")/resume_data.py"
mv -f "$PATCHED_SCRIPT.tmp" "$PATCHED_SCRIPT"
say "wrote $PATCHED_SCRIPT"

step "check the datasets"
cpt check-dataset "$TRAIN_DIR"
cpt check-dataset "$EVAL_DOMAIN_DIR"
[ -z "$EVAL_GENERAL_DIR" ] || cpt check-dataset "$EVAL_GENERAL_DIR"

step "stage the datasets on FSx"
# FSx for Lustre loads a file from S3 on its first read; restoring them now keeps the first training steps from
# waiting for S3. Best effort: the training reads them anyway.
if command -v lfs >/dev/null 2>&1; then
  for dir in "$TRAIN_DIR" "$EVAL_DOMAIN_DIR" ${EVAL_GENERAL_DIR:+"$EVAL_GENERAL_DIR"}; do
    find "$dir" -type f -print0 | xargs -0 -r -n 64 -P 8 lfs hsm_restore || say "lfs hsm_restore of $dir failed (ignored)"
  done
else
  say "no lfs command here: the datasets load from S3 on first read"
fi

step "download the base model"
model=$REQ_BASE_MODEL
if [ "$(cat "$BASE_HF/.complete" 2>/dev/null || true)" = "model=$model" ]; then
  say "$BASE_HF holds $model already"
else
  rm -rf "$BASE_HF"
  secret=$REQ_HF_TOKEN_SECRET_ARN
  say "reading the Hugging Face token from $secret"
  token=$(aws secretsmanager get-secret-value --secret-id "$secret" --region "$SECRET_REGION" \
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
cpt check-model "$BASE_HF/config.json" "$MODEL_CONFIG"

step "convert the base model to $REQ_TENSOR_PARALLEL tensor-parallel shards"
# The converter's flags below but the paths and --tp_size (tests/test_nxd_recordings.py holds the two equal).
SHARDS_RECIPE="--convert_from_full_state --hw_backend trn1 --coalesce_qkv True"
shards_marker="model=$model tp=$REQ_TENSOR_PARALLEL converter=$SHARDS_RECIPE"
if [ "$(cat "$BASE_NXD/.complete" 2>/dev/null || true)" = "$shards_marker" ]; then
  say "$BASE_NXD holds the $REQ_TENSOR_PARALLEL shards of $model already"
else
  rm -rf "$BASE_NXD"
  mkdir -p "$RUN_DIR/base/full"
  say "writing the full state dict to $RUN_DIR/base/full/checkpoint.pt"
  "$VPY" "$SCRIPTS/hf_checkpoint.py" full-state --model-dir "$BASE_HF" --out "$RUN_DIR/base/full/checkpoint.pt"
  say "writing the shards to $BASE_NXD"
  "$VPY" "$CONVERTER" --convert_from_full_state --tp_size "$REQ_TENSOR_PARALLEL" --hw_backend trn1 --coalesce_qkv True \
    --config "$MODEL_CONFIG" --input_dir "$RUN_DIR/base/full/checkpoint.pt" --output_dir "$BASE_NXD"
  last_shard=$BASE_NXD/model/$(printf 'dp_rank_00_tp_rank_%02d_pp_rank_00.pt' $((REQ_TENSOR_PARALLEL - 1)))
  [ -f "$last_shard" ] || die "the converter did not write $last_shard"
  printf '%s\n' "$shards_marker" >"$BASE_NXD/.complete"
  rm -rf "$RUN_DIR/base/full"
fi

step "link the shards as the run's pretrained weights"
mkdir -p "$CKPT_DIR"
ln -sfn "$BASE_NXD" "$CKPT_DIR/pretrained_weight"
say "$CKPT_DIR/pretrained_weight -> $BASE_NXD"
