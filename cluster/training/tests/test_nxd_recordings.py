"""The recordings of neuronx-distributed v2.28.0's own converter and model (fixtures/nxd-*.json, written by
scripts/nxd-roundtrip.sh) agree with each other and with our scripts, and the CI fake converter (fake_converter.py)
replays them exactly. No torch here: CI's Python has none."""

import hashlib
import json
import re
import subprocess
import sys

import pytest

import fake_converter
import nxd_recordings as rec

sys.path.insert(0, str(rec.TRAINING))
from cpt import arguments, paths  # noqa: E402

FAKE = rec.TESTS / "fake_converter.py"
PREPARE = rec.load("nxd-prepare")
MODEL = rec.load("nxd-model")
EXPORT = rec.load("nxd-export")
ARGUMENTS = rec.load("nxd-train-args")
CONFIG = rec.load("nxd-tiny-config")["config"]
TPS = sorted(int(tp) for tp in MODEL["state"]["fused"])


def hf_listing(config: dict) -> dict:
    """{key: shape} of a Hugging Face LlamaForCausalLM state dict for `config` (transformers 4.48 names)."""
    h, i, v = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    kv = h // config["num_attention_heads"] * config["num_key_value_heads"]
    shapes = {"model.embed_tokens.weight": [v, h], "model.norm.weight": [h], "lm_head.weight": [v, h]}
    for n in range(config["num_hidden_layers"]):
        layer = f"model.layers.{n}"
        shapes.update(
            {
                f"{layer}.self_attn.q_proj.weight": [h, h],
                f"{layer}.self_attn.k_proj.weight": [kv, h],
                f"{layer}.self_attn.v_proj.weight": [kv, h],
                f"{layer}.self_attn.o_proj.weight": [h, h],
                f"{layer}.mlp.gate_proj.weight": [i, h],
                f"{layer}.mlp.up_proj.weight": [i, h],
                f"{layer}.mlp.down_proj.weight": [h, i],
                f"{layer}.input_layernorm.weight": [h],
                f"{layer}.post_attention_layernorm.weight": [h],
            }
        )
    return shapes


def shapes(listing: dict) -> dict:
    return {key: value[1] for key, value in listing.items()}


def fill(words: list, tmp_path, tp: int) -> list:
    """A recorded command with its placeholders replaced by paths under tmp_path."""
    values = {
        "<RUN_DIR>": str(tmp_path / "run"),
        "<MODEL_CONFIG>": str(tmp_path / "config.json"),
        "<TP>": str(tp),
        "<CKPT_DIR>": str(tmp_path / "ckpt"),
        "<TAG>": "step_5",
    }
    out = []
    for word in words:
        for placeholder, value in values.items():
            word = word.replace(placeholder, value)
        out.append(word)
    return out


def fake(argv: list) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(FAKE), *argv], capture_output=True, text=True, timeout=60)


# --- The recordings agree with each other ---


def test_the_recordings_cover_the_same_cases_and_degrees():
    assert TPS and 8 in TPS  # the service's default tensor-parallel degree
    for fixture in (PREPARE["shards"], MODEL["state"]):
        assert sorted(fixture) == sorted(rec.CASES)
        for case in rec.CASES:
            assert sorted(int(tp) for tp in fixture[case]) == TPS
            for tp in TPS:
                assert len(fixture[case][str(tp)]) == tp
    assert sorted(int(tp) for tp in EXPORT["full_state"]) == TPS == sorted(int(tp) for tp in EXPORT["failure"])
    assert CONFIG["num_attention_heads"] == CONFIG["num_key_value_heads"]  # Llama 2 7B's family: no GQA
    assert CONFIG["torch_dtype"] == "bfloat16"


@pytest.mark.parametrize("case", rec.CASES)
def test_the_model_of_each_layout_has_the_keys_and_shapes_of_its_shards(case):
    """What the training script's strict nxd.load_checkpoint needed, and did: keys and shapes equal on every rank."""
    for tp in TPS:
        for rank in range(tp):
            assert shapes(MODEL["state"][case][str(tp)][rank]) == shapes(PREPARE["shards"][case][str(tp)][rank])


def test_the_shards_come_in_the_models_own_dtypes():
    """hf_checkpoint.py full-state writes matrices in bfloat16 and RMSNorm weights in float32, the dtypes of the
    training model (its parallel layers in config torch_dtype bfloat16, LlamaRMSNorm in float32); the converter keeps
    them."""
    for case in rec.CASES:
        for tp in TPS:
            for rank in range(tp):
                state = MODEL["state"][case][str(tp)][rank]
                assert {k: v[0] for k, v in PREPARE["shards"][case][str(tp)][rank].items()} == {
                    k: v[0] for k, v in state.items()
                }
                assert {k for k, v in state.items() if v[0] == "torch.float32"} == {
                    k for k in state if k.endswith("norm.weight")
                }
                assert {v[0] for k, v in state.items() if not k.endswith("norm.weight")} == {"torch.bfloat16"}


def test_the_fused_shards_hold_each_ranks_q_k_v_rows_in_one_qkv_proj():
    h, layers = CONFIG["hidden_size"], CONFIG["num_hidden_layers"]
    for tp in TPS:
        for rank in range(tp):
            fused = PREPARE["shards"]["fused"][str(tp)][rank]
            separate = PREPARE["shards"]["separate"][str(tp)][rank]
            for n in range(layers):
                attention = f"model.layers.{n}.self_attn"
                assert fused[f"{attention}.qkv_proj.weight"][1] == [3 * h // tp, h]
                assert not any(f"{attention}.{p}_proj.weight" in fused for p in "qkv")
                assert all(separate[f"{attention}.{p}_proj.weight"][1] == [h // tp, h] for p in "qkv")
                assert f"{attention}.qkv_proj.weight" not in separate
            rest = {k: v for k, v in fused.items() if "qkv_proj" not in k}
            assert rest == {k: v for k, v in separate.items() if not any(f".{p}_proj." in k for p in "qkv")}


def test_the_export_gives_back_the_hugging_face_model_bit_for_bit():
    expected = hf_listing(CONFIG)
    for tp in TPS:
        assert shapes(EXPORT["full_state"][str(tp)]) == expected
        assert EXPORT["compare"][str(tp)] == {
            "tensors": len(expected),
            "bit_exact": len(expected),
            "max_abs_diff": 0.0,
            "torch_dtype": "bfloat16",
        }


def test_the_separate_layout_cannot_be_exported():
    for tp in TPS:
        failure = EXPORT["failure"][str(tp)]
        assert failure["returncode"] == 1
        assert failure["stderr"][0].startswith("Traceback")
        assert failure["stderr"][-1] == "KeyError: 'q_proj.weight'"
        assert any("in get_weight_key" in line for line in failure["stderr"])


def test_each_layouts_model_refuses_the_other_layouts_shards():
    for tp in TPS:
        fused_model = MODEL["load_other_layout"]["fused"][str(tp)]["separate"]
        separate_model = MODEL["load_other_layout"]["separate"][str(tp)]["fused"]
        for message, missing, unexpected in (
            (fused_model, "qkv_proj", "q_proj"),
            (separate_model, "q_proj", "qkv_proj"),
        ):
            assert message.startswith("Error(s) in loading state_dict for LlamaForCausalLM:")
            assert f'Missing key(s) in state_dict: "model.layers.0.self_attn.{missing}.weight"' in message
            assert f'Unexpected key(s) in state_dict: "model.layers.0.self_attn.{unexpected}.weight"' in message


def test_the_training_script_parsed_our_arguments():
    argv, parsed = ARGUMENTS["argv"], ARGUMENTS["parsed"]
    i = 1
    while i < len(argv):
        name = argv[i][2:]
        if i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            assert str(parsed[name]) == argv[i + 1], name
            i += 2
        else:
            assert parsed[name] is True, name
            i += 1
    assert parsed["fuse_qkv"] == 1 and parsed["qkv_linear"] is False and parsed["kv_replicator"] == 1
    assert parsed["sequence_parallel_enabled"] is True and parsed["selective_checkpoint_enabled"] is True


# --- Our scripts use exactly the recorded flags ---


def test_the_recordings_were_made_with_the_patch_as_it_is():
    """A change of nxd-pretrain.patch is proven with the real training script again (scripts/nxd-roundtrip.sh)."""
    digest = hashlib.sha256((rec.TRAINING / "nxd-pretrain.patch").read_bytes()).hexdigest()[:16]
    for fixture in (MODEL, ARGUMENTS):
        assert f"nxd-pretrain.patch (sha256 {digest}...) applied" in fixture["script"]


def test_stage_prepare_runs_the_recorded_commands():
    assert rec.stage_commands(rec.STAGE_PREPARE) == PREPARE["commands"]["fused"]
    full_state, convert = PREPARE["commands"]["separate"]
    assert [full_state, rec.without(PREPARE["commands"]["fused"][1], "--coalesce_qkv", "True")] == [
        PREPARE["commands"]["fused"][0],
        convert,
    ]


def test_the_shards_marker_names_the_recorded_converter_flags():
    """stage-prepare.sh's SHARDS_RECIPE (in the shards' .complete marker) is the converter's flags but the paths and
    --tp_size: a change of flags makes a prepared run's shards again."""
    recipe = re.search(r'^SHARDS_RECIPE="([^"]*)"$', rec.STAGE_PREPARE.read_text(), re.M).group(1).split()
    flags = rec.converter_command(rec.STAGE_PREPARE)
    assert rec.flag_pairs(recipe) == [pair for pair in rec.flag_pairs(flags) if pair[1] != "<value>"]


def test_stage_export_runs_the_recorded_commands():
    assert rec.stage_commands(rec.STAGE_EXPORT) == EXPORT["commands"]


def test_training_arguments_are_the_recorded_ones(monkeypatch):
    monkeypatch.setenv("CPT_FSX", rec.FSX_PLACEHOLDER)
    request = ARGUMENTS["request"]  # as the round trip built it, `derived` from lib/run/derive.ts
    assert (
        arguments.training_arguments(request, "train", rec.NXD_PLACEHOLDER, paths.run_dir(request["run"]))
        == ARGUMENTS["argv"]
    )


# --- The fake converter replays the recordings ---


@pytest.mark.parametrize("case", rec.CASES)
@pytest.mark.parametrize("tp", TPS)
def test_the_fake_prepare_writes_the_recorded_shards(tmp_path, tp, case):
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    command = fill(PREPARE["commands"][case][1][2:], tmp_path, tp)
    (tmp_path / "run/base/full").mkdir(parents=True)
    (tmp_path / "run/base/full/checkpoint.pt").write_text("state dict\n")
    result = fake(command)
    assert result.returncode == 0, result.stderr
    written = fake_converter.read_shards(tmp_path / "run/base/nxd/model", tp)
    assert written == dict(enumerate(PREPARE["shards"][case][str(tp)]))
    assert not (tmp_path / "run/base/nxd/model" / rec.SHARD_NAME.format(tp)).exists()


@pytest.mark.parametrize("tp", TPS)
def test_the_fake_export_merges_the_recorded_training_layout(tmp_path, tp):
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    model_dir = tmp_path / "ckpt/step_5/model"
    fake_converter.write_shards(model_dir, fake_converter.model_keys(True, tp), "test")
    result = fake(fill(EXPORT["commands"][0][2:], tmp_path, tp))
    assert result.returncode == 0, result.stderr
    merged = json.loads((tmp_path / "run/export/step_5/full/checkpoint.pt").read_text())
    assert merged["tensors"] == EXPORT["full_state"][str(tp)]


@pytest.mark.parametrize("tp", TPS)
def test_the_fake_export_fails_like_the_real_one_on_separate_q_k_v(tmp_path, tp):
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    fake_converter.write_shards(tmp_path / "ckpt/step_5/model", fake_converter.model_keys(False, tp), "test")
    result = fake(fill(EXPORT["commands"][0][2:], tmp_path, tp))
    assert result.returncode == 1
    assert result.stderr.splitlines() == EXPORT["failure"][str(tp)]["stderr"]
    assert not (tmp_path / "run/export/step_5/full/checkpoint.pt").exists()


def test_the_fake_export_refuses_shards_of_no_recorded_layout(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    shards = fake_converter.model_keys(True, 8)
    shards[3] = {k: v for k, v in shards[3].items() if k != "lm_head.weight"}
    fake_converter.write_shards(tmp_path / "ckpt/step_5/model", shards, "test")
    result = fake(fill(EXPORT["commands"][0][2:], tmp_path, 8))
    assert result.returncode == 1
    assert "dp_rank_00_tp_rank_03_pp_rank_00.pt does not hold the recorded training layout" in result.stderr
    assert "missing ['lm_head.weight']" in result.stderr
    (tmp_path / "ckpt/step_5/model" / rec.SHARD_NAME.format(5)).unlink()
    result = fake(fill(EXPORT["commands"][0][2:], tmp_path, 8))
    assert result.returncode == 1 and "RuntimeError: Error: neither " in result.stderr


@pytest.mark.parametrize(
    "change",
    [
        ("--coalesce_qkv", "True", "False"),  # type=bool: the real converter would coalesce; never recorded so
        ("--hw_backend", "trn1", "trn2"),
        ("--tp_size", "<TP>", "3"),
    ],
)
def test_the_fake_refuses_what_was_not_recorded(tmp_path, change):
    flag, old, new = change
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    (tmp_path / "run/base/full").mkdir(parents=True)
    (tmp_path / "run/base/full/checkpoint.pt").write_text("state dict\n")
    command = PREPARE["commands"]["fused"][1][2:]
    command = rec.replaced(command, flag, new) if rec.value_of(command, flag) == old else command
    result = fake(fill(command, tmp_path, 8))
    assert result.returncode == 1
    if flag == "--tp_size":
        assert "not recorded at tensor-parallel degree 3" in result.stderr
    else:
        assert "the real converter was not recorded with these flags: " in result.stderr
    assert not (tmp_path / "run/base/nxd").exists()


def test_load_error_tells_what_the_training_scripts_strict_load_says():
    for tp in TPS:
        fused = fake_converter.prepared_keys("fused", tp)
        separate = fake_converter.prepared_keys("separate", tp)
        assert fake_converter.load_error(fused, True, tp) is None
        assert fake_converter.load_error(separate, False, tp) is None
        assert fake_converter.load_error(separate, True, tp) == MODEL["load_other_layout"]["fused"][str(tp)]["separate"]
        assert fake_converter.load_error(fused, False, tp) == MODEL["load_other_layout"]["separate"][str(tp)]["fused"]
    broken = fake_converter.prepared_keys("fused", 2)
    broken[1] = {**broken[1], "lm_head.weight": ["torch.bfloat16", [32000, 64]]}
    message = fake_converter.load_error(broken, True, 2)
    assert "size mismatch for lm_head.weight" in message and "torch.Size([16000, 64])" in message
