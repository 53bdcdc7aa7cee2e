"""The command line of the package: `python3 SCRIPTS/cpt <command> ARGUMENT...` (cpt-run.sh and the stage scripts).
Every value comes in as an argument or from a JSON file and goes out as JSON, as one value a line, or as quoted
shell assignments (`env`), so that no request value is ever part of shell code.

Exit status: 0 done; 3 a request that cannot be used (RequestError); 1 any other failure; 2 an unknown command.
"""

from __future__ import annotations

import subprocess
import sys

from . import answers, arguments, checkpoints, inputs, neuron, report, request, restarts, shell_env, stop_by

COMMANDS = {
    "decode": request.cmd_decode,
    "validate-file": request.cmd_validate_file,
    "request-differences": request.cmd_request_differences,
    "resumed-request": request.cmd_resumed_request,
    "env": shell_env.cmd_env,
    "jobs-json": answers.cmd_jobs_json,
    "submit-output": answers.cmd_submit_output,
    "job-ids": answers.cmd_job_ids,
    "status": answers.cmd_status,
    "chain-state": answers.cmd_chain_state,
    "cancel-output": answers.cmd_cancel_output,
    "error": answers.cmd_error,
    "train-args": arguments.cmd_train_args,
    "compile-key": arguments.cmd_compile_key,
    "checkpoints": checkpoints.cmd_checkpoints,
    "any-checkpoints": checkpoints.cmd_any_checkpoints,
    "check-dataset": inputs.cmd_check_dataset,
    "check-model": inputs.cmd_check_model,
    "exports-json": report.cmd_exports_json,
    "export-tags": report.cmd_export_tags,
    "report": report.cmd_report,
    "s3-join": report.cmd_s3_join,
    "neuron-state": neuron.cmd_neuron_state,
    "neuron-refusal": neuron.cmd_neuron_refusal,
    "check-neuron-ls": neuron.cmd_check_neuron_ls,
    "status-file": restarts.cmd_status_file,
    "record-restart": restarts.cmd_record_restart,
    "reconcile-restarts": restarts.cmd_reconcile_restarts,
    "failed-nodes": restarts.cmd_failed_nodes,
    "train-minutes": stop_by.cmd_train_minutes,
    "stop-watch": stop_by.cmd_stop_watch,
    "stop-if-past": stop_by.cmd_stop_if_past,
    "stop-message": stop_by.cmd_stop_message,
    "lowered-time-limit": stop_by.cmd_lowered_time_limit,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: cpt {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    try:
        COMMANDS[argv[0]](*argv[1:])
    except request.RequestError as error:
        print(str(error), file=sys.stderr)
        return 3
    except (OSError, ValueError, KeyError, RuntimeError, TypeError, subprocess.TimeoutExpired) as error:
        print(f"cpt {argv[0]}: {error}", file=sys.stderr)
        return 1
    return 0
