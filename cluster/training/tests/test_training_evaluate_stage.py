"""The evaluate stage without Slurm: stage-evaluate.sh run directly (as the job would run it) over a run directory
laid out as the earlier stages leave it, with the sandbox's fakes for evaluate_perplexity.py and the AWS CLI; and
`cpt report`, the perplexity.json that render_report.py draws."""

import json
import re
import subprocess
import sys

import pytest

from training_sandbox import TRAINING, Sandbox, report_uploads

sys.path.insert(0, str(TRAINING))
from cpt import cli  # noqa: E402


def lay_out_run(sandbox: Sandbox, run: str, tags=("step_4", "step_6"), **overrides):
    """RUN_DIR as cpt-run.sh and the prepare and export stages leave it: scripts/, request.json, base/hf and
    export/exports.json."""
    run_dir = sandbox.fsx / "trainium-cpt" / "runs" / run
    sandbox.copy_scripts(run_dir)
    request = sandbox.request(run, **overrides)
    (run_dir / "request.json").write_text(json.dumps(request))
    (run_dir / "base" / "hf").mkdir(parents=True)
    (run_dir / "export").mkdir()
    assert (
        cli.main(
            [
                "exports-json",
                str(run_dir / "export" / "exports.json"),
                request["exportS3Uri"],
                str(run_dir / "export"),
                *tags,
            ]
        )
        == 0
    )
    return run_dir


def run_stage(sandbox: Sandbox, run_dir, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(run_dir / "scripts" / "stage-evaluate.sh"), str(run_dir / "request.json")],
        env=sandbox.env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=sandbox.tmp,
    )


def s3_copies(sandbox: Sandbox) -> list:
    return [r["argv"] for r in sandbox.records("aws") if r["argv"][:2] == ["s3", "cp"]]


def test_the_stage_writes_and_uploads_the_json_and_the_html_report(tmp_path):
    sandbox = Sandbox(tmp_path, None)
    run_dir = lay_out_run(sandbox, "pubmed-v1")
    result = run_stage(sandbox, run_dir)
    assert result.returncode == 0, result.stdout + result.stderr

    evaluations = sandbox.records("evaluate_perplexity.py")
    assert [r["argv"][r["argv"].index("--model-dir") + 1] for r in evaluations] == [
        f"{run_dir}/base/hf",
        f"{run_dir}/export/step_4/hf",
        f"{run_dir}/export/step_6/hf",
    ]
    report_dir = run_dir / "report"
    assert s3_copies(sandbox) == report_uploads(report_dir, "pubmed-v1")
    uploaded = sandbox.s3 / "ckpt-bucket" / "reports" / "pubmed-v1"
    assert (uploaded / "perplexity.json").read_bytes() == (report_dir / "perplexity.json").read_bytes()
    page = (uploaded / "report.html").read_text()
    assert page == (report_dir / "report.html").read_text()
    assert "<h1>Perplexity report: pubmed-v1</h1>" in page
    assert len(re.findall(r'<svg class="chart" data-set="(domain|general)"', page)) == 2
    assert len(re.findall(r'<tr class="model-row"', page)) == 3
    assert "8.4 M" not in page and "65.5 K" in page  # 16 sequences x 4,096 tokens a step
    assert "step 'render the HTML report'" not in result.stdout
    assert json.loads((run_dir / "status" / "evaluate.json").read_text())["state"] == "COMPLETED"
    assert not list(report_dir.glob(".tmp*"))


def test_a_run_without_a_general_set_gets_one_chart(tmp_path):
    sandbox = Sandbox(tmp_path, None)
    run_dir = lay_out_run(
        sandbox,
        "domain-only",
        tags=("step_2",),
        evalPaths={"domain": "/fsx/datasets/pubmed/attempt-1/eval_domain", "general": None},
    )
    result = run_stage(sandbox, run_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (sandbox.s3 / "ckpt-bucket/reports/domain-only/report.html").read_text()
    assert re.findall(r'<svg class="chart" data-set="([^"]+)"', page) == ["domain"]


def test_a_failed_rendering_fails_the_stage_after_the_json_is_uploaded(tmp_path):
    sandbox = Sandbox(tmp_path, None)
    run_dir = lay_out_run(sandbox, "broken-renderer")
    (run_dir / "scripts" / "render_report.py").write_text(
        "import sys\nprint('render_report: models: simulated failure', file=sys.stderr)\nsys.exit(2)\n"
    )
    result = run_stage(sandbox, run_dir)
    assert result.returncode == 2
    assert "step 'render the HTML report' failed (exit 2)" in result.stderr
    assert [argv[-1] for argv in s3_copies(sandbox)] == ["s3://ckpt-bucket/reports/broken-renderer/perplexity.json"]
    status = json.loads((run_dir / "status" / "evaluate.json").read_text())
    assert (status["state"], status["exitCode"]) == ("FAILED", 2)


# --- cpt report ---


def write_result(path, model, perplexities):
    sets = {
        name: {
            "path": f"/fsx/eval/{name}",
            "rows": 4,
            "tokens": 16380,
            "meanNll": 2.0,
            "perplexity": value,
            "seconds": 1.5,
        }
        for name, value in perplexities.items()
    }
    path.write_text(json.dumps({"model": model, "device": "xla", "dtype": "bfloat16", "sets": sets}))
    return f"{path.stem}={path}"


def test_the_report_has_the_tokens_per_step_and_each_models_trained_tokens(tmp_path):
    request = Sandbox(tmp_path, None).request("r1", globalBatch=2048, sequenceLength=4096)
    (tmp_path / "request.json").write_text(json.dumps(request))
    pairs = [
        write_result(tmp_path / "base.json", "/m/base", {"domain": 8.0, "general": 6.0}),
        write_result(tmp_path / "step_2500.json", "/m/2500", {"domain": 6.0, "general": 6.3}),
    ]
    output = tmp_path / "perplexity.json"
    assert cli.main(["report", str(output), str(tmp_path / "request.json"), "32", *pairs]) == 0
    report = json.loads(output.read_text())
    assert list(report) == ["run", "baseModel", "evalPaths", "maxRowsPerSet", "tokensPerStep", "evaluatedAt", "models"]
    assert (report["run"], report["maxRowsPerSet"], report["tokensPerStep"]) == ("r1", 32, 2048 * 4096)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", report["evaluatedAt"])
    base, step = report["models"]
    assert (base["name"], base["step"], base["trainedTokens"]) == ("base", 0, 0)
    assert (step["name"], step["step"], step["trainedTokens"]) == ("step_2500", 2500, 2500 * 2048 * 4096)
    assert step["model"] == "/m/2500" and step["dtype"] == "bfloat16"
    assert step["sets"]["domain"]["perplexityChangeVsBase"] == pytest.approx(-0.25)
    assert step["sets"]["general"]["perplexityChangeVsBase"] == pytest.approx(0.05)
    assert "perplexityChangeVsBase" not in base["sets"]["domain"]
    assert not list(tmp_path.glob(".tmp-*"))
