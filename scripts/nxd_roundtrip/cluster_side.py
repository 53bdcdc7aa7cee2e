"""What the round trip takes from our code: the cluster package cluster/training/cpt (the run folders and the
training arguments), and a request of the shape the service submits, whose `derived` figures come from the app's one
derivation (lib/run/derive.ts, through cli/request-schema/derived.ts). The only module that imports cpt."""

from __future__ import annotations

import functools
import json
import subprocess

from cpt.arguments import training_arguments
from cpt.paths import checkpoint_dir, fsx_path, run_dir
from cpt.slurm import STAGES

from . import REPO, TRAINING

__all__ = ["checkpoint_dir", "fsx_path", "request", "run_dir", "training_arguments"]


@functools.cache
def cores_per_node() -> int:
    """NeuronCores per node, from the seed request that the app generates (tests/fixtures/request-probes.json)."""
    probes = json.loads((TRAINING / "tests/fixtures/request-probes.json").read_text(encoding="utf-8"))
    return probes[0]["request"]["derived"]["coresPerNode"]


def derived(settings: dict) -> dict:
    """The request's `derived` for these settings, as the training function would send it (once per shape: both q/k/v
    cases of a TP share it, and each call starts ts-node)."""
    return json.loads(_derived_text(json.dumps(settings, sort_keys=True)))


@functools.cache
def _derived_text(settings: str) -> str:
    command = [str(REPO / "node_modules/.bin/ts-node"), "--transpile-only", "cli/request-schema/derived.ts", settings]
    return subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True).stdout


def request(run: str, tp: int) -> dict:
    """A request of the shape the service submits (one node), as cpt.arguments.training_arguments reads it."""
    settings = {
        "nodes": 1,
        "tensorParallel": tp,
        "sequenceLength": 4096,
        "globalBatch": 2 * cores_per_node() // tp,  # two sequences per data-parallel rank and step
        "microBatch": 1,
        "steps": 10,
        "warmupSteps": 2,
        "learningRate": 0.00015,
        "minLearningRate": 0.000015,
        "checkpointEvery": 5,
        "checkpointsKept": 2,
        "compileSteps": 1,
    }
    return {
        "version": 2,
        "run": run,
        **settings,
        "trainPath": "/fsx/datasets/roundtrip/train",
        "evalPaths": {"domain": "/fsx/datasets/roundtrip/eval_domain", "general": None},
        "baseModel": "meta-llama/Llama-2-7b-hf",
        "hfTokenSecretArn": "arn:aws:secretsmanager:us-east-2:123456789012:secret:trainium-cpt-hf-AbCdEf",
        "exportS3Uri": f"s3://bucket/exports/{run}/",
        "reportS3Uri": f"s3://bucket/reports/{run}/",
        "neuronRelease": "2.28.1",
        "partition": "trn",
        "maxTrainRestarts": 0,
        "resume": False,
        "timeLimits": {stage: 60 for stage in STAGES},
        "derived": derived(settings),
    }
