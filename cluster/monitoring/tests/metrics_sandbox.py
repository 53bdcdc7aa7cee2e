"""Fixtures of the metrics agent's tests: log lines in the training script's real format, Slurm's answers in the
formats of the commands the agent runs, and a sandbox where the agent runs for real (a subprocess) with fake
`aws`, `scontrol` and `sinfo` commands that record their argv.

Sandbox layout (a temporary directory):
  fsx/trainium-cpt/runs/<run>/  request.json, logs/, status/: what cpt-run.sh and the stage scripts write
  bin/aws, bin/scontrol, bin/sinfo   recorders (on PATH; --slurm-bin points at bin/ too)
  answers/scontrol.txt, answers/sinfo.txt   what the fake Slurm commands print (edit between samples)
  record.jsonl                 one JSON line per call: {"tool", "argv", "payload" (aws: the --metric-data file)}
  state.json                   the agent's --state-file
CPT_TEST_AGENT_PYTHON (environment of the test session): the Python that runs the agent (default: the tests' own).
Knobs (environment of a run): CPT_TEST_FAIL, comma-separated tool names that fail (aws exits 255 as the CLI does
when it cannot reach CloudWatch, or CPT_TEST_AWS_EXIT: 254 CloudWatch refused the data, 253 no credentials;
scontrol and sinfo exit 1 as when slurmctld is down).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

MONITORING = Path(__file__).resolve().parent.parent
REPO = MONITORING.parent.parent
AGENT = MONITORING / "cpt_metrics_agent.py"
MODULES = sorted((MONITORING / "metrics_agent").glob("*.py"))  # the modules it imports
INSTALLER = MONITORING / "install-agent.sh"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(MONITORING))

import cpt_metrics_agent as agent  # noqa: E402, F401  (the entry under test, from the folder above)
from metrics_agent import (  # noqa: E402, F401  (its modules, for the tests of each)
    cloudwatch,
    data_points,
    log_reader,
    run_files,
    sampling,
    slurm,
    training_log,
)

CLUSTER = "trainium-cpt-cluster"
REGION = "us-east-2"


def asctime(epoch_seconds: float) -> str:
    """time.asctime() of the compute node (the tests run with the local time zone, like the agent)."""
    return time.asctime(time.localtime(epoch_seconds))


def log_line(
    epoch: int, step: int, loss: float, lr: float, throughput: float, when: float, grad_norm: float | None = None
) -> str:
    """A step line exactly as Logger.log prints it: examples/training/llama/tp_zero1_llama_hf_pretrain/logger.py of
    aws-neuron/neuronx-distributed at tag v2.28.0 (commit 22cadad34418fb8b5939bd8cdfc7a376eede9981):
        f"LOG {time_now} - ({epoch}, {step}) step_loss : {step_loss:.4f} "
        f"learning_rate : {learning_rate:.2e} "
        f"throughput : {throughput:.2f} seq/s "
        f"{grad_norm_msg}"
    with time_now = time.asctime() and grad_norm_msg = f"grad-norm : {grad_norm}" if grad_norm else ""."""
    time_now = asctime(when)
    step_loss, learning_rate = loss, lr
    grad_norm_msg = f"grad-norm : {grad_norm}" if grad_norm else ""
    return (
        f"LOG {time_now} - ({epoch}, {step}) step_loss : {step_loss:.4f} "
        f"learning_rate : {learning_rate:.2e} "
        f"throughput : {throughput:.2f} seq/s "
        f"{grad_norm_msg}"
    )


def label(task: int, tasks: int = 16) -> str:
    """srun --label's prefix: "%*d: " with the width of the largest task number (Slurm's
    src/common/write_labelled_message.c, width from _wid() in src/api/step_io.c)."""
    width = len(str(tasks - 1))
    return f"{task:>{width}}: "


def stage_say(when: float, job_id: int, text: str) -> str:
    """A line of stage-lib.sh's say(): '%s stage-%s[job %s]: %s' (the batch script's own output, no label)."""
    return f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(when))} stage-train[job {job_id}]: {text}"


# Lines the training job prints besides the step lines (compiler, runtime, torch, a failing rank).
NOISE = [
    "/fsx/trainium-cpt/neuron-2.28.1/venv/lib/python3.10/site-packages/torch_xla/__init__.py:251: UserWarning: "
    "`tensorflow` can conflict with `torch-xla`. Prefer `tensorflow-cpu` when using PyTorch/XLA.",
    "2025-Mar-20 09:41:10.0519 51823:52000 [0] nccl_net_ofi_create_plugin:211 CCOM WARN NET/OFI Failed to "
    "initialize sendrecv protocol",
    "2025-Mar-20 09:41:12.000764 21093:21093 INFO  TDRV:tdrv_init_mla_phase1                    Using 32 cores",
    "2025-03-20 09:42:01.000123:  61001  INFO ||NEURON_CC_WRAPPER||: Using a cached neff at "
    "/fsx/trainium-cpt/compile-cache/neuronxcc-2.21.18209.0+043b1bf7/MODULE_10344927339446294134+4eda0ad9/"
    "model.neff. Exiting with a successfully compiled graph.",
    "2025-03-20 09:42:05.000456:  61001  WARNING ||NEURON_PARALLEL_COMPILE||: LOG level is not set",
    "Epoch 0 begin Thu Mar 20 09:43:00 2025",
    "Writing data to the provided results file: /fsx/trainium-cpt/runs/pubmed-v1/output/results.json",
]
TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/fsx/trainium-cpt/neuron-2.28.1/neuronx-distributed/examples/training/llama/tp_zero1_llama_hf_pretrain/'
    'tp_zero1_llama_hf_pretrain.py", line 339, in _print_logs',
    "    logger.log(",
    '  File "/fsx/.../logger.py", line 63, in log',
    '    f"LOG {time_now} - ({epoch}, {step}) step_loss : {step_loss:.4f} "',
    "RuntimeError: Bad StatusOr access: INTERNAL: RunNeuronCCImpl: error condition error != 0: <class "
    "'subprocess.CalledProcessError'>: Command '' died with <Signals.SIGKILL: 9>.",
    "srun: error: trn-dy-trn132-8: task 7: Exited with exit code 1",
    "srun: Terminating StepId=103.0",
]


# --- Slurm's answers ---


def slurm_time(epoch_seconds: float | None) -> str:
    return "Unknown" if epoch_seconds is None else time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(epoch_seconds))


def scontrol_line(
    job_id: int,
    name: str,
    state: str,
    *,
    start: float | None,
    end: float | None = None,
    restarts: int = 0,
    reason: str = "None",
    exit_code: str = "0:0",
    nodes: int = 16,
    dependency: str = "(null)",
    run: str = "pubmed-v1",
) -> str:
    """One line of `scontrol show job -o` (Slurm 23.11/24.05 field order, src/scontrol/info_job.c), for a job of
    cpt-run.sh: --exclusive, --requeue, --open-mode append, 128 CPUs a trn1.32xlarge node."""
    stage = name.rsplit("-", 1)[-1]
    run_dir = f"/fsx/trainium-cpt/runs/{run}"
    node_list = "trn-dy-trn132-[1-16]" if nodes > 1 else "trn-dy-trn132-1"
    if start is None:
        node_list, batch_host = "(null)", ""
    else:
        batch_host = " BatchHost=trn-dy-trn132-1"
    return (
        f"JobId={job_id} JobName={name} UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=1 Nice=0 "
        f"Account=(null) QOS=(null) JobState={state} Reason={reason} Dependency={dependency} Requeue=1 "
        f"Restarts={restarts} BatchFlag=1 Reboot=0 ExitCode={exit_code} RunTime=00:41:07 TimeLimit=UNLIMITED "
        f"TimeMin=N/A SubmitTime=2025-03-20T08:00:01 EligibleTime=2025-03-20T08:00:01 "
        f"AccrueTime=2025-03-20T08:00:01 StartTime={slurm_time(start)} EndTime={slurm_time(end)} Deadline=N/A "
        f"SuspendTime=None SecsPreSuspend=0 LastSchedEval=2025-03-20T08:04:12 Scheduler=Main Partition=trn "
        f"AllocNode:Sid=ip-10-0-0-45:5012 ReqNodeList=(null) ExcNodeList=(null) NodeList={node_list}{batch_host} "
        f"NumNodes={nodes} NumCPUs={128 * nodes} NumTasks={nodes} CPUs/Task=1 ReqB:S:C:T=0:0:*:* "
        f"ReqTRES=cpu={nodes},node={nodes},billing={nodes} AllocTRES=cpu={128 * nodes},node={nodes},"
        f"billing={128 * nodes} Socks/Node=* NtasksPerN:B:S:C=1:0:*:* CoreSpec=* MinCPUsNode=1 MinMemoryNode=0 "
        f"MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=NO Contiguous=0 Licenses=(null) "
        f"Network=(null) Command={run_dir}/scripts/stage-{stage}.sh {run_dir}/request.json "
        f"WorkDir={run_dir}/work StdErr={run_dir}/logs/{stage}-{job_id}.out StdIn=/dev/null "
        f"StdOut={run_dir}/logs/{stage}-{job_id}.out Power="
    )


def chain(first_id: int, states: dict, *, start: float, run: str = "pubmed-v1", **train_options) -> str:
    """scontrol lines of a chain: states maps stage -> JobState (stages not given are PENDING on Dependency)."""
    lines = []
    for offset, stage in enumerate(slurm.STAGES):
        state = states.get(stage, "PENDING")
        options = {
            "start": None if state == "PENDING" else start,
            "nodes": 16 if stage in ("compile", "train") else 1,
            "run": run,
        }
        if state == "PENDING":
            options.update(reason="Dependency", dependency=f"afterok:{first_id + offset - 1}(unfulfilled)")
        if state in ("COMPLETED", "FAILED", "TIMEOUT", "NODE_FAIL", "CANCELLED", "OUT_OF_MEMORY"):
            options["end"] = start + 60
        if stage == "train":
            options.update(train_options)
        lines.append(scontrol_line(first_id + offset, f"cpt-{run}-{stage}", state, **options))
    return "\n".join(lines) + "\n"


# --- The sandbox ---

RECORDER = r'''#!@PYTHON@
"""Fake of aws / scontrol / sinfo (by the name it is called with): records its argv, then answers."""
import json, os, re, sys
name = os.path.basename(sys.argv[0])
args = sys.argv[1:]
record = {"tool": name, "argv": args}
if name == "aws" and "--metric-data" in args:
    source = args[args.index("--metric-data") + 1]
    record["payload"] = json.load(open(source[len("file://"):])) if source.startswith("file://") else source
with open(os.environ["CPT_TEST_RECORD"], "a", encoding="utf-8") as out:
    out.write(json.dumps(record) + "\n")
if name in os.environ.get("CPT_TEST_FAIL", "").split(","):
    if name == "aws":
        code = int(os.environ.get("CPT_TEST_AWS_EXIT", "255"))
        if code == 254:
            print("\nAn error occurred (InvalidParameterValue) when calling the PutMetricData operation: The value "
                  "for parameter MetricData.member.1.Value is invalid.", file=sys.stderr)
        elif code == 253:
            print("\nUnable to locate credentials. You can configure credentials by running \"aws configure\".",
                  file=sys.stderr)
        else:
            print('\nCould not connect to the endpoint URL: "https://monitoring.us-east-2.amazonaws.com/"',
                  file=sys.stderr)
        sys.exit(code)
    print(f"{name}: error: Unable to contact slurm controller (connect failure)", file=sys.stderr)
    sys.exit(1)
answers = os.environ["CPT_TEST_ANSWERS"]
if name in ("scontrol", "sinfo"):
    path = os.path.join(answers, f"{name}.txt")
    sys.stdout.write(open(path).read() if os.path.exists(path) else ("No jobs in the system\n" if name == "scontrol" else ""))
'''


class Sandbox:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.runs = tmp / "fsx" / "trainium-cpt" / "runs"
        self.bin = tmp / "bin"
        self.answers = tmp / "answers"
        self.record = tmp / "record.jsonl"
        self.state = tmp / "state" / "state.json"
        for directory in (self.runs, self.bin, self.answers, tmp / "tmp"):
            directory.mkdir(parents=True, exist_ok=True)
        recorder = self.bin / "recorder.py"
        recorder.write_text(RECORDER.replace("@PYTHON@", sys.executable))
        recorder.chmod(0o755)
        for name in ("aws", "scontrol", "sinfo"):
            (self.bin / name).symlink_to(recorder)

    def make_run(self, run: str = "pubmed-v1", sequence_length: int = 4096) -> Path:
        run_dir = self.runs / run
        for sub in ("logs", "status", "work", "output"):
            (run_dir / sub).mkdir(parents=True, exist_ok=True)
        (run_dir / "request.json").write_text(
            json.dumps({"version": 1, "run": run, "nodes": 16, "sequenceLength": sequence_length})
        )
        return run_dir

    def failed_status(self, stage: str, job_id: str, ended: float, run: str = "pubmed-v1") -> None:
        """RUN/status/STAGE.json as a stage script leaves it when its job fails (exit 1) at `ended` (epoch seconds)."""
        status = {
            "stage": stage,
            "jobId": job_id,
            "restart": 0,
            "state": "FAILED",
            "exitCode": 1,
            "nodes": "x",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ended)),
        }
        (self.runs / run / "status" / f"{stage}.json").write_text(json.dumps(status))

    def train_log(self, run: str, job_id: int) -> Path:
        return self.runs / run / "logs" / f"train-{job_id}.out"

    def append(self, path: Path, text: str) -> None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)

    def slurm(self, scontrol: str | None = None, sinfo: str | None = None) -> None:
        if scontrol is not None:
            (self.answers / "scontrol.txt").write_text(scontrol)
        if sinfo is not None:
            (self.answers / "sinfo.txt").write_text(sinfo)

    def env(self, **extra) -> dict:
        env = {
            "PATH": f"{self.bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.tmp),
            "TMPDIR": str(self.tmp / "tmp"),
            "LANG": "C.UTF-8",
            "CPT_TEST_RECORD": str(self.record),
            "CPT_TEST_ANSWERS": str(self.answers),
        }
        if "TZ" in os.environ:
            env["TZ"] = os.environ["TZ"]
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def argv(self, *extra: str) -> list:
        # CPT_TEST_AGENT_PYTHON: run the agent with another Python (e.g. a 3.10 like the head node's).
        return [
            os.environ.get("CPT_TEST_AGENT_PYTHON", sys.executable),
            str(AGENT),
            "--cluster-name",
            CLUSTER,
            "--region",
            REGION,
            "--runs-dir",
            str(self.runs),
            "--slurm-bin",
            str(self.bin),
            "--state-file",
            str(self.state),
            *extra,
        ]

    def once(self, *extra: str, **env) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.argv("--once", *extra), env=self.env(**env), capture_output=True, text=True, timeout=60
        )

    def calls(self, tool: str | None = None) -> list:
        if not self.record.exists():
            return []
        calls = [json.loads(line) for line in self.record.read_text().splitlines()]
        return [c for c in calls if tool is None or c["tool"] == tool]

    def published(self) -> list:
        """The data points of every aws call so far, in order."""
        return [d for call in self.calls("aws") for d in call.get("payload", [])]

    def forget_calls(self) -> None:
        if self.record.exists():
            self.record.unlink()


def by_name(data: list) -> dict:
    """MetricName -> Value of data points (the last one of each name)."""
    return {d["MetricName"]: d["Value"] for d in data}
