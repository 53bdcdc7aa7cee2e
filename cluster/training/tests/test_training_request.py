"""The cpt package: the request contract (decode, validate against request.schema.json), and the training arguments,
which format the values the request carries (`derived`) and compute none."""

import base64
import json
import re
import sys

import pytest

from training_sandbox import DERIVED_SHAPES, TRAINING, derive, run_request, seed_request, submit_request

sys.path.insert(0, str(TRAINING))
from cpt import arguments, checkpoints, cli, inputs, paths  # noqa: E402
from cpt.request import RequestError, decode, validate  # noqa: E402

# Every option of the training script's argparse block: examples/training/llama/tp_zero1_llama_hf_pretrain/
# tp_zero1_llama_hf_pretrain.py at tag v2.28.0 of aws-neuron/neuronx-distributed (commit 22cadad3).
TRAINING_SCRIPT_OPTIONS = {
    "--model_path",
    "--data_dir",
    "--output_dir",
    "--metrics_file",
    "--batch_size",
    "--max_steps",
    "--steps_this_run",
    "--seed",
    "--lr",
    "--warmup_steps",
    "--grad_accum_usteps",
    "--print_grad_norm",
    "--tensor_parallel_size",
    "--context_parallel_size",
    "--seq_len",
    "--use_mix_precision",
    "--use_zero_1",
    "--num_layers",
    "--sequence_parallel_enabled",
    "--selective_checkpoint_enabled",
    "--use_meta_device_init",
    "--logging_interval",
    "--qkv_linear",
    "--kv_replicator",
    "--use_gpu_compatible_precision",
    "--weight_decay",
    "--beta1",
    "--beta2",
    "--checkpoint_freq",
    "--checkpoint_dir",
    "--pretrained_weight",
    "--loading_step",
    "--num_kept_checkpoint",
    "--hidden_size",
    "--use_flash_attention",
    "--fuse_qkv",
    "--transpose_nki_inputs",
    "--checkpoint_at_end",  # added by nxd-pretrain.patch
}
# Its store_true flags (they take no value).
TRAINING_SCRIPT_FLAGS = {
    "--print_grad_norm",
    "--use_mix_precision",
    "--use_zero_1",
    "--sequence_parallel_enabled",
    "--selective_checkpoint_enabled",
    "--use_meta_device_init",
    "--qkv_linear",
    "--pretrained_weight",
    "--checkpoint_at_end",
}


def _request(name, **overrides):
    """The reference run's request (16 nodes, TP 8, global batch 2048, micro batch 1), `derived` computed for it."""
    reference = {
        "nodes": 16,
        "tensorParallel": 8,
        "sequenceLength": 4096,
        "globalBatch": 2048,
        "microBatch": 1,
        "steps": 1000,
        "warmupSteps": 100,
        "learningRate": 0.00015,
        "minLearningRate": 0.000015,
        "checkpointEvery": 500,
        "checkpointsKept": 3,
        "compileSteps": 10,
        "trainPath": "/fsx/datasets/pubmed-v1/attempt-20260101T000000Z-abcdef/train",
        "evalPaths": {
            "domain": "/fsx/datasets/pubmed-v1/attempt-20260101T000000Z-abcdef/eval_domain",
            "general": "/fsx/datasets/pubmed-v1/attempt-20260101T000000Z-abcdef/eval_general",
        },
        "baseModel": "meta-llama/Llama-2-7b-hf",
        "hfTokenSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:trainium-cpt-hf-AbCdEf",
        "exportS3Uri": "s3://my-ckpt-bucket/exports/pubmed-v1/",
        "reportS3Uri": "s3://my-ckpt-bucket/reports/pubmed-v1/",
        "neuronRelease": "2.28.1",
        "partition": "trn",
        "maxTrainRestarts": 3,
        "timeLimits": {"prepare": 120, "compile": 240, "train": 4320, "export": 180, "evaluate": 60},
        "resume": False,
    }
    return submit_request(name, reference, overrides)


def enc(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return base64.b64encode(text.encode()).decode()


def refused(request, action="submit") -> str:
    with pytest.raises(RequestError) as error:
        validate(request, action)
    return str(error.value)


def test_a_good_request_passes_unchanged():
    request = _request("pubmed-v1")
    assert validate(decode(enc(request)), "submit") == request


def test_general_eval_set_may_be_null():
    validate(_request("r", evalPaths={"domain": "/fsx/datasets/r/a/eval_domain", "general": None}), "submit")


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("version", 1, "version: 1, but this cpt-run.sh takes requests of version 2 only"),
        ("version", True, "version: true, but this cpt-run.sh takes requests of version 2"),
        ("run", "Pubmed", "run: must be a string matching"),
        ("run", "x;touch /tmp/pwned", "run: must be"),
        ("run", "$(id)", "run: must be"),
        ("run", "`id`", "run: must be"),
        ("run", "-leading-hyphen", "run: must be"),
        ("run", "a" * 64, "run: must be"),
        ("run", "a\nb", "run: must be"),
        ("run", "a\n", "run: must be"),
        ("nodes", 0, "nodes: must be an integer of at least 1 (got 0)"),
        ("nodes", 2.0, "nodes: must be an integer"),
        ("nodes", "2", "nodes: must be an integer"),
        ("nodes", True, "nodes: must be an integer"),
        ("tensorParallel", 3, "tensorParallel: must be one of 1, 2, 4, 8, 16, 32 (got 3)"),
        ("sequenceLength", 4097, "sequenceLength: must be an integer from 1 to 4096 (got 4097)"),
        ("microBatch", 0, "microBatch: must be an integer from 1 to 8 (got 0)"),
        ("steps", 0, "steps: must be an integer of at least 1"),
        ("warmupSteps", -1, "warmupSteps: must be an integer of at least 0"),
        ("learningRate", 0, "learningRate: must be a number above 0 and of at most 0.01 (got 0)"),
        ("learningRate", "1e-4", "learningRate: must be a number above 0"),
        ("minLearningRate", -1e-6, "minLearningRate: must be a number of at least 0"),
        ("checkpointEvery", 0, "checkpointEvery: must be an integer of at least 1"),
        ("checkpointsKept", 0, "checkpointsKept: must be an integer of at least 1"),
        ("compileSteps", 0, "compileSteps: must be an integer of at least 1"),
        ("trainPath", "/fsx/datasets/../../etc/passwd", "trainPath: must be a string matching"),
        ("trainPath", "/fsx/datasets/run/./train", "trainPath: must be"),
        ("trainPath", "/fsx/checkpoints/x", "trainPath: must be"),
        ("trainPath", "/etc/passwd", "trainPath: must be"),
        ("trainPath", "/fsx/datasets/a b", "trainPath: must be"),
        ("trainPath", "/fsx/datasets/x;rm -rf /", "trainPath: must be"),
        ("trainPath", "/fsx/datasets/$(id)", "trainPath: must be"),
        ("trainPath", "/fsx/datasets/", "trainPath: must be"),
        ("trainPath", "/fsx/datasets//x", "trainPath: must be"),
        ("trainPath", "/fsx/datasets/x\n", "trainPath: must be"),
        ("evalPaths", {"domain": "/fsx/../x", "general": None}, "evalPaths.domain: must be"),
        ("evalPaths", {"domain": "/fsx/d", "general": "/tmp/x"}, "evalPaths.general: must be"),
        ("evalPaths", {"domain": "/fsx/d", "general": None, "extra": "/fsx/e"}, "evalPaths.extra: unknown field"),
        ("evalPaths", {"domain": "/fsx/d"}, "evalPaths.general: missing"),
        ("evalPaths", "/fsx/d", "evalPaths: must be an object"),
        ("baseModel", "llama", "baseModel: must be"),
        ("baseModel", "meta-llama/Llama 2", "baseModel: must be"),
        ("hfTokenSecretArn", "arn:aws:s3:::bucket", "hfTokenSecretArn: must be"),
        ("exportS3Uri", "s3://Bucket/x", "exportS3Uri: must be"),
        ("exportS3Uri", "s3://bucket/a b", "exportS3Uri: must be"),
        ("reportS3Uri", "https://bucket/x", "reportS3Uri: must be"),
        ("reportS3Uri", "s3://bucket/$(id)", "reportS3Uri: must be"),
        ("neuronRelease", "2.28", "neuronRelease: must be"),
        ("neuronRelease", "2.28.1; id", "neuronRelease: must be"),
        ("partition", "trn queue", "partition: must be"),
        ("partition", "--wrap=id", "partition: must be"),
        ("maxTrainRestarts", -1, "maxTrainRestarts: must be an integer from 0 to 10 (got -1)"),
        ("maxTrainRestarts", 11, "maxTrainRestarts: must be an integer from 0 to 10 (got 11)"),
        ("maxTrainRestarts", 1.5, "maxTrainRestarts: must be an integer from 0 to 10 (got 1.5)"),
        ("maxTrainRestarts", True, "maxTrainRestarts: must be an integer from 0 to 10 (got true)"),
        ("timeLimits", 60, "timeLimits: must be an object (got 60)"),
        ("timeLimits", {"prepare": 1, "compile": 1, "train": 1, "export": 1}, "timeLimits.evaluate: missing"),
        (
            "timeLimits",
            {"prepare": 1, "compile": 1, "train": 1, "export": 1, "evaluate": 1, "report": 1},
            "timeLimits.report: unknown field (timeLimits has prepare, compile, train, export, evaluate)",
        ),
        (
            "timeLimits",
            {"prepare": 0, "compile": 1, "train": 1, "export": 1, "evaluate": 1},
            "timeLimits.prepare: must be an integer from 1 to 43200 (got 0)",
        ),
        (
            "timeLimits",
            {"prepare": 1, "compile": 1, "train": 43201, "export": 1, "evaluate": 1},
            "timeLimits.train: must be an integer from 1 to 43200 (got 43201)",
        ),
        (
            "timeLimits",
            {"prepare": 1, "compile": "1:00:00", "train": 1, "export": 1, "evaluate": 1},
            'timeLimits.compile: must be an integer from 1 to 43200 (got "1:00:00")',
        ),
        ("resume", "true", 'resume: must be a boolean (got "true")'),
        ("resume", 1, "resume: must be a boolean (got 1)"),
        ("derived", {}, "derived.dataParallel: missing"),
        ("derived", None, "derived: must be an object (got null)"),
    ],
)
def test_each_bad_value_is_refused_naming_its_field(field, value, expected):
    assert expected in refused(_request("pubmed-v1", **{field: value}))


def test_the_rules_between_fields_are_left_to_the_typescript_side():
    """sequenceLength divisible by tensorParallel, globalBatch a multiple of dataParallel x microBatch, warm-up and
    compile steps within steps, minLearningRate below learningRate: decided before the request is made."""
    odd = _request("r", sequenceLength=4092, globalBatch=1000, warmupSteps=1001, compileSteps=500)
    assert validate(odd, "submit") == odd
    assert validate(_request("r", minLearningRate=0.00015), "submit")


def test_unknown_and_missing_fields_are_refused_by_name():
    request = _request("r", extraField=1, sbatchOptions="--wrap id")
    del request["partition"]
    message = refused(request)
    assert "extraField: unknown field" in message and "sbatchOptions: unknown field" in message
    assert "partition: missing" in message


def test_every_problem_is_reported_at_once():
    message = refused(_request("r", nodes=0, tensorParallel=3, learningRate=-1))
    assert "nodes:" in message and "tensorParallel:" in message and "learningRate:" in message


@pytest.mark.parametrize("action", ["status", "cancel"])
def test_status_and_cancel_requests_have_version_and_run_only(action):
    assert validate(run_request("r-1"), action) == run_request("r-1")
    assert "nodes: unknown field" in refused({**run_request("r-1"), "nodes": 1}, action)
    assert "run: must be" in refused(run_request("../x"), action)


@pytest.mark.parametrize(
    "encoded, expected",
    [
        ("", "request: empty"),
        ("not base64!", "request: not base64"),
        (enc(run_request("r"))[:-1], "request: not base64"),
        (enc(run_request("r"))[:8] + "\n" + enc(run_request("r"))[8:], "request: not base64"),
        (base64.urlsafe_b64encode(b'{"version":1,"run":"r","x":"\xff\xfe?>"}').decode(), "request: not base64"),
        (base64.b64encode(b"\xff\xfe").decode(), "request: the decoded bytes are not UTF-8"),
        (enc("[1, 2]"), "request: not a JSON object"),
        (enc("{nope}"), "request: not JSON"),
        (enc('{"version": 1, "version": 1, "run": "r"}'), "field 'version' appears twice"),
        (enc('{"version": 1, "run": "r", "learningRate": NaN}'), "NaN is not a JSON number"),
        ("A" * 20000, "more than the 16384 accepted"),
    ],
)
def test_undecodable_requests_are_refused(encoded, expected):
    with pytest.raises(RequestError) as error:
        decode(encoded)
    assert expected in str(error.value)


def test_the_tests_derive_as_the_typescript_side_does():
    """derive() (training_sandbox.py) gives the tests' requests their `derived`: it agrees with the seed request's."""
    seed = seed_request()
    assert derive(seed) == seed["derived"]


def test_the_tests_derive_as_the_typescript_side_does_on_many_shapes():
    """derive() against TypeScript's `derived` on every shape of DERIVED_SHAPES (parallelism, batches, schedules)."""
    shapes = json.loads(DERIVED_SHAPES.read_text())
    assert len(shapes) >= 100
    assert [shape for shape in shapes if derive(shape["settings"]) != shape["derived"]] == []


def test_the_training_arguments_format_the_derived_values_and_compute_none():
    request = _request("r")
    request["derived"] = {**request["derived"], "gradientAccumulation": 7, "scheduleSteps": 1234, "loggingInterval": 3}
    args = arguments.training_arguments(request, "train", "/nxd", "/run")
    assert [args[args.index(flag) + 1] for flag in ("--grad_accum_usteps", "--max_steps", "--logging_interval")] == [
        "7",
        "1234",
        "3",
    ]


def test_compile_and_train_arguments_differ_in_steps_loading_step_and_checkpoint_at_end(monkeypatch):
    monkeypatch.setenv("CPT_FSX", "/mnt/fsx")
    request = _request("pubmed-v1")
    compile_args = arguments.training_arguments(request, "compile", "/nxd", "/run")
    train_args = arguments.training_arguments(request, "train", "/nxd", "/run", 500)
    assert train_args[-1] == "--checkpoint_at_end" and "--checkpoint_at_end" not in compile_args
    differences = [(i, a, b) for i, (a, b) in enumerate(zip(compile_args, train_args)) if a != b]
    steps, loading = train_args.index("--steps_this_run") + 1, train_args.index("--loading_step") + 1
    assert differences == [(steps, "10", "1000"), (loading, "-1", "500")]
    assert len(compile_args) == len(train_args) - 1
    # The compile run never continues a checkpoint (graph extraction's outputs are invalid).
    with pytest.raises(ValueError, match="compile loads none"):
        arguments.training_arguments(request, "compile", "/nxd", "/run", 500)


def test_training_arguments_are_the_training_scripts_own(monkeypatch):
    monkeypatch.setenv("CPT_FSX", "/mnt/fsx")
    args = arguments.training_arguments(_request("pubmed-v1"), "train", "/nxd", "/run")
    assert args[0] == "/run/patched/tp_zero1_llama_hf_pretrain.py"  # the run's patched copy
    options = {}
    i = 1
    while i < len(args):
        assert args[i] in TRAINING_SCRIPT_OPTIONS, f"{args[i]} is not an option of tp_zero1_llama_hf_pretrain.py"
        if args[i] in TRAINING_SCRIPT_FLAGS:
            options[args[i]] = True
            i += 1
        else:
            options[args[i]] = args[i + 1]
            i += 2
    assert options == {
        "--model_path": "/nxd/examples/training/llama/tp_zero1_llama_hf_pretrain/7B_config_llama2",
        "--data_dir": "/mnt/fsx/datasets/pubmed-v1/attempt-20260101T000000Z-abcdef/train",
        "--output_dir": "/run/output",
        "--metrics_file": "/run/output/results.json",
        "--tensor_parallel_size": "8",
        "--seq_len": "4096",
        "--batch_size": "1",
        "--grad_accum_usteps": "32",
        "--max_steps": "1100",
        "--steps_this_run": "1000",
        "--warmup_steps": "100",
        "--lr": "0.00015",
        "--use_mix_precision": True,
        "--use_zero_1": True,
        "--sequence_parallel_enabled": True,
        "--selective_checkpoint_enabled": True,
        "--fuse_qkv": "1",
        "--logging_interval": "10",
        "--checkpoint_dir": "/mnt/fsx/checkpoints/pubmed-v1",
        "--checkpoint_freq": "500",
        "--num_kept_checkpoint": "3",
        "--loading_step": "-1",
        "--pretrained_weight": True,
        "--checkpoint_at_end": True,
    }


def test_fsx_paths_map_to_cpt_fsx(monkeypatch):
    monkeypatch.setenv("CPT_FSX", "/tmp/x/fsx/")
    assert paths.fsx_path("/fsx/datasets/a/b/") == "/tmp/x/fsx/datasets/a/b"
    monkeypatch.delenv("CPT_FSX")
    assert paths.fsx_path("/fsx/datasets/a") == "/fsx/datasets/a"
    assert paths.run_dir("r") == "/fsx/trainium-cpt/runs/r"


def test_completed_checkpoints_are_those_with_done_in_step_order(tmp_path):
    for step, done in ((10, True), (2, True), (4, False), (30, True)):
        (tmp_path / f"step_{step}").mkdir()
        if done:
            (tmp_path / f"step_{step}" / "done").write_text("1")
    (tmp_path / "pretrained_weight").mkdir()
    assert checkpoints.completed_checkpoints(str(tmp_path)) == ["step_2", "step_10", "step_30"]
    assert checkpoints.completed_checkpoints(str(tmp_path / "missing")) == []


def test_error_lines_are_one_json_object(capsys):
    cli.main(["error", 'quote " and\nnewline'])
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out) == {"error": 'quote " and\nnewline'}


def test_check_model_refuses_another_shape(tmp_path):
    reference = tmp_path / "ref.json"
    reference.write_text(json.dumps({"hidden_size": 4096, "num_hidden_layers": 32}))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hidden_size": 5120, "num_hidden_layers": 40}))
    with pytest.raises(RuntimeError, match=re.escape("hidden_size 5120 (the training config says 4096)")):
        inputs.cmd_check_model(str(other), str(reference))
