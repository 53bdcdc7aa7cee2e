#!/usr/bin/env bash
# stage-evaluate.sh RUN_DIR/request.json: the last job of a run (1 node). Scores the base model and every
# exported checkpoint on the held-out sets (evalPaths.domain, and evalPaths.general unless null) with
# evaluate_perplexity.py: mean token negative log-likelihood and perplexity over the first CPT_EVAL_MAX_ROWS
# rows (default 32) of each set, the same rows for every model (the sets are shuffled by the tokenization job).
#
# Writes: RUN_DIR/report/<model>.json (one per model), RUN_DIR/report/perplexity.json (all of them, with the
# change against the base model and the tokens each model was trained on), RUN_DIR/report/report.html (the same
# as a self-contained page with a chart per set, drawn by render_report.py), and copies of the last two at
# reportS3Uri/perplexity.json and reportS3Uri/report.html.
set -euo pipefail
[ -f "$(dirname "${1:-/-}")/scripts/stage-lib.sh" ] || { echo "usage: $0 RUN_DIR/request.json" >&2; exit 2; }
# shellcheck source=stage-lib.sh
. "$(dirname "$1")/scripts/stage-lib.sh"
stage_begin evaluate "$@"

max_rows=${CPT_EVAL_MAX_ROWS:-32}
[[ $max_rows =~ ^[1-9][0-9]*$ ]] || die "CPT_EVAL_MAX_ROWS must be a positive integer, not '$max_rows'"

step "list the models"
[ -f "$EXPORT_DIR/exports.json" ] || die "$EXPORT_DIR/exports.json is missing: the export stage did not finish"
exports=$(cpt export-tags "$EXPORT_DIR/exports.json")
names=(base)
dirs=("$BASE_HF")
while IFS=$'\t' read -r tag dir; do
  names+=("$tag")
  dirs+=("$dir")
done <<<"$exports"
evals=(--eval "domain=$EVAL_DOMAIN_DIR")
[ -z "$EVAL_GENERAL_DIR" ] || evals+=(--eval "general=$EVAL_GENERAL_DIR")
say "models: ${names[*]}; sets: ${evals[*]}"

mkdir -p "$REPORT_DIR"
results=()
for i in "${!names[@]}"; do
  step "evaluate ${names[$i]}"
  say "scoring ${dirs[$i]}, writing $REPORT_DIR/${names[$i]}.json"
  "$VPY" "$SCRIPTS/evaluate_perplexity.py" --model-dir "${dirs[$i]}" "${evals[@]}" --max-rows "$max_rows" \
    --output "$REPORT_DIR/${names[$i]}.json"
  results+=("${names[$i]}=$REPORT_DIR/${names[$i]}.json")
done

step "write the report"
cpt report "$REPORT_DIR/perplexity.json" "$REQUEST" "$max_rows" "${results[@]}"
destination=$(cpt s3-join "$REQ_REPORT_S3_URI" perplexity.json)
aws s3 cp --only-show-errors "$REPORT_DIR/perplexity.json" "$destination"
say "wrote $REPORT_DIR/perplexity.json and $destination"

step "render the HTML report"
"$PY" "$SCRIPTS/render_report.py" "$REPORT_DIR/perplexity.json" "$REPORT_DIR/report.html"
page=$(cpt s3-join "$REQ_REPORT_S3_URI" report.html)
aws s3 cp --only-show-errors --content-type text/html "$REPORT_DIR/report.html" "$page"
say "wrote $REPORT_DIR/report.html and $page"
