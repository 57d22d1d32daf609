#!/usr/bin/env bash
# The shell part of action.yml: install preflight, run `preflight check` with a text report in
# the log and a SARIF report in a file, and hand the file's path to later steps. Uploading
# the SARIF file is left to the workflow (github/codeql-action/upload-sarif).
#
# Inputs come as environment variables (action.yml maps them):
#   PREFLIGHT_REPO        model repository; empty: every one below the working directory
#   PREFLIGHT_TARGET_GPU  --target-gpu, when set
#   PREFLIGHT_TRITON      --triton-version, when set
#   PREFLIGHT_ARGS        further options, split on whitespace
#   PREFLIGHT_SARIF       the SARIF file to write (default preflight.sarif)
#   PREFLIGHT_FAIL        "true": the step fails on findings; "false": only when preflight
#                         cannot run (exit status 2)
#   PREFLIGHT_INSTALL     what to pip-install: empty installs the action's own checkout (the
#                         version the workflow pinned with @ref), "none" uses the preflight
#                         already on PATH, anything else is a pip requirement
#   GITHUB_ACTION_PATH, RUNNER_TEMP, GITHUB_OUTPUT: set by the runner
set -euo pipefail

sarif="${PREFLIGHT_SARIF:-preflight.sarif}"
install="${PREFLIGHT_INSTALL:-}"

if [[ "$install" != "none" ]]; then
  venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/preflight-venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q "${install:-${GITHUB_ACTION_PATH:?}}"
  PATH="$venv/bin:$PATH"
fi

cmd=(preflight check)
[[ -n "${PREFLIGHT_REPO:-}" ]] && cmd+=("$PREFLIGHT_REPO")
[[ -n "${PREFLIGHT_TARGET_GPU:-}" ]] && cmd+=(--target-gpu "$PREFLIGHT_TARGET_GPU")
[[ -n "${PREFLIGHT_TRITON:-}" ]] && cmd+=(--triton-version "$PREFLIGHT_TRITON")
if [[ -n "${PREFLIGHT_ARGS:-}" ]]; then
  read -r -a extra <<< "$PREFLIGHT_ARGS"
  cmd+=("${extra[@]}")
fi
cmd+=(--format text --format "sarif=$sarif")

echo "+ ${cmd[*]}"
status=0
"${cmd[@]}" || status=$?

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  {
    echo "sarif-file=$sarif"
    echo "exit-code=$status"
  } >> "$GITHUB_OUTPUT"
fi

if [[ "$status" -eq 1 && "${PREFLIGHT_FAIL:-true}" != "true" ]]; then
  echo "preflight found problems; the step passes (fail: false)"
  exit 0
fi
exit "$status"
