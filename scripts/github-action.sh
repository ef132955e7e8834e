#!/usr/bin/env bash
# The gate step of the GitHub Action (action.yml runs this file; CI runs it through action.yml on an
# example with the installed wheel). Inputs come as environment variables:
#   POLICYGEN_PATH      the function code or the SAM/Serverless/Terraform project
#   POLICYGEN_BASELINE  the committed baseline folder (policygen baseline update --out)
#   POLICYGEN_SARIF     where to write the SARIF report (for github/codeql-action/upload-sarif)
#   POLICYGEN_ARGS      more arguments for policygen check (--stack-name orders, --current FILE...)
# One run of policygen check writes the SARIF file and prints the Markdown report, which goes to
# the job summary ($GITHUB_STEP_SUMMARY) and the log; sets the step output exit-code, and exits
# with policygen check's exit code (a bitmask: 1 missing, 2 input error, 4 new privilege, 8 excess
# over --max-excess).
set -uo pipefail
read -r -a extra <<<"${POLICYGEN_ARGS:-}"
args=(check "${POLICYGEN_PATH:-.}" --no-cache "${extra[@]}")
if [ -n "${POLICYGEN_BASELINE:-}" ]; then
  args+=(--baseline "$POLICYGEN_BASELINE")
fi
report=$(mktemp)
trap 'rm -f "$report"' EXIT

status=0
policygen "${args[@]}" --output "sarif=${POLICYGEN_SARIF:-policygen.sarif}" --format markdown >"$report" || status=$?
if [ ! -s "$report" ]; then
  # Bad input before any report (an unreadable baseline or policy): the error is in the log.
  printf '## policygen\n\n**Failed** (exit %s): bad input, no report; see the step log.\n' "$status" >"$report"
fi
tee -a "${GITHUB_STEP_SUMMARY:-/dev/null}" <"$report"
echo "exit-code=$status" >>"${GITHUB_OUTPUT:-/dev/null}"
exit "$status"
