#!/usr/bin/env bash
# The master runner: runs the chosen suites against the embedded stack or a running one, and
# leaves everything a reader needs in results/<timestamp>/.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: ./run-all-tests.sh [options] [suite | feature path ...]

Suites (default: all), or feature files and folders (paths relative to the repository):
  api          Ollama native API, OpenAI API and streaming   (features/ollama_api, openai_api, streaming)
  integration  the official ollama and openai Python clients (features/clients)
  models       bundled models, create/copy/delete, pull/push  (features/models)
  aider        Aider edits through the stack                 (features/aider)
  agents       Codex CLI and Claude Code headless, run when named (features/agents): up to three tries each,
               20 s to 4 min a try on 2 CPU cores; Codex skips with its figures on the bundled 1.5B model
  monitoring   metrics, dashboards and alerts                (features/monitoring)
  benchmark    performance comparison, the full plan          (features/performance)
  reliability  faults, crashes and bad input survived         (features/reliability)
  limits       what the stack does not do, refused plainly    (features/limits)
  all          every suite above but agents

Options:
  -v, --verbose          show behave's whole output while it runs (it is always kept in behave.log);
                         without it the terminal shows each feature, each scenario as it starts, and failures
  -s, --skip-benchmarks  leave out @benchmark scenarios
  -f, --fast             leave out @slow scenarios too (what `make test` runs)
  -l, --long             also run @long scenarios: those that outlast the main job's budget (the long
                         fuzz, a hundred hung-up clients, Aider's diff format); the full benchmark comparison
                         runs when the benchmark suite is named
  -m, --model MODEL      model to test (default smollm2:135m)
  -e, --engine ENGINE    engine of the embedded stack: mistralrs, llamacpp or openai
  --target TARGET        local (default: the gateway as a child process), docker (the stack as containers of
                         the stack's images, built if needed) or compose (a running compose project, see below)
  --compose-project NAME with --target compose: attach to this project's services by their compose labels
  --base-image IMAGE     with --target docker: the images' base (default: a Debian base made with debootstrap)
  --ollama-url URL       attach to a running stack at URL instead of starting one
  --openai-url URL       its OpenAI base URL (default: <ollama-url>/v1)
  --capable-model        also run scenarios that need a model able to follow instructions
  --iterations N         iterations of the benchmark plan (the benchmark suite alternates targets in each)
  --ollama-compare-url URL  also measure a real Ollama at URL in the benchmark
  --report               build the Allure HTML report (needs Node; uses npx allure@3.18.0)
  --results-dir DIR      where this run's results go (default: results/<timestamp>; relative
                         to the repository; its allure-results/ and junit/ are emptied first)
  -h, --help             show this help

Docker targets use the engine DOCKER_HOST (or the default socket) names; where none answers, the suite starts a
private one (stack/docker/engine.sh, as root) for the run and stops it afterwards.

Results go to results/<timestamp>/ (or --results-dir): summary.md, behave.log, stack.log (the gateway's log, as a
process or a container), junit/, allure-results/, benchmark/ (the performance report) and, with --report,
allure-report/index.html. Every suite run (all) includes the quick benchmark; naming the benchmark suite runs the
full comparison too, with a line per finished batch on the terminal.
Exit status is 0 only when at least one scenario ran, every scenario that ran passed, and every requested area
ran at least one scenario (an area whose scenarios were all skipped is "not verified" in summary.md).
EOF
}

ALLURE_VERSION="3.18.0"

# A long run would otherwise be silent for half an hour: stamp each feature and scenario as it starts.
show_progress() {
  local line
  while IFS= read -r line; do
    case "$line" in
      Feature:*|*Scenario:*|*"Scenario Outline:"*) printf '%(%H:%M:%S)T %s\n' -1 "$line" ;;
      *"... failed"*|*"... error"*|*"... undefined"*) printf '%(%H:%M:%S)T   %s\n' -1 "$line" ;;
    esac
  done
}
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$repo"
python="$repo/.venv/bin/python"
[[ -x "$python" ]] || python="$(command -v python3)"

verbose=false
long=false
report=false
tag_filters=()
userdata=()
suites=()
target=local
run_dir="results/$(date -u +%Y%m%dT%H%M%SZ)"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -v|--verbose) verbose=true ;;
    -s|--skip-benchmarks) tag_filters+=("not @benchmark") ;;
    -f|--fast) tag_filters+=("not @slow" "not @benchmark") ;;
    -l|--long) long=true ;;
    -m|--model) userdata+=(-D "model=$2"); shift ;;
    -e|--engine) userdata+=(-D "engine=$2"); shift ;;
    --target) target="$2"; userdata+=(-D "target=$2"); shift ;;
    --compose-project) userdata+=(-D "compose_project=$2"); shift ;;
    --base-image) userdata+=(-D "base_image=$2"); shift ;;
    --ollama-url) userdata+=(-D target=external -D "ollama_url=$2"); shift ;;
    --openai-url) userdata+=(-D "openai_url=$2"); shift ;;
    --capable-model) userdata+=(-D capable_model=true) ;;
    --iterations) userdata+=(-D "bench_iterations=$2"); shift ;;
    --ollama-compare-url) userdata+=(-D "ollama_compare_url=$2"); shift ;;
    --report) report=true ;;
    --results-dir) run_dir="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    *) suites+=("$1") ;;
  esac
  shift
done
[[ ${#suites[@]} -gt 0 ]] || suites=(all)

declare -A suite_dirs=(
  [api]="features/ollama_api features/openai_api features/anthropic_api features/streaming"
  [integration]="features/clients"
  [models]="features/models"
  [aider]="features/aider"
  [agents]="features/agents"
  [monitoring]="features/monitoring"
  [benchmark]="features/performance"
  [reliability]="features/reliability"
  [limits]="features/limits"
)
expanded=()
for suite in "${suites[@]}"; do
  # Named on its own, the benchmark suite runs the full comparison; within `all` only the quick one runs.
  [[ "$suite" == benchmark ]] && userdata+=(-D benchmark=full)
  if [[ "$suite" == all ]]; then
    # The coding agents are left out: on a CPU they would only skip, and an area that runs nothing is not verified.
    expanded+=(api integration models aider monitoring benchmark reliability limits)
  elif [[ -n "${suite_dirs[$suite]:-}" || -e "$suite" ]]; then
    expanded+=("$suite")
  else
    echo "unknown suite: $suite" >&2; usage >&2; exit 2
  fi
done

rm -rf "$run_dir/allure-results" "$run_dir/junit"
mkdir -p "$run_dir"
paths=()
not_run=()
notes=("Suites requested: ${suites[*]}")
areas=()
for suite in "${expanded[@]}"; do
  if [[ -z "${suite_dirs[$suite]:-}" ]]; then
    paths+=("$suite")
    # A feature file or folder named by path is an area too: features/<area>/...
    [[ "$suite" =~ ^(\./)?features/([a-z_]+) ]] && areas+=("${BASH_REMATCH[2]}")
    continue
  fi
  found=false
  for dir in ${suite_dirs[$suite]}; do
    if compgen -G "$dir/*.feature" > /dev/null; then
      paths+=("$dir"); found=true; areas+=("$(basename "$dir")")
    fi
  done
  $found || not_run+=("$suite (${suite_dirs[$suite]})")
done
$long || tag_filters+=("not @long")
[[ ${#tag_filters[@]} -eq 0 ]] || notes+=("Left out: ${tag_filters[*]}.")

tag_args=()
if [[ ${#tag_filters[@]} -gt 0 ]]; then
  expression="${tag_filters[0]}"
  for filter in "${tag_filters[@]:1}"; do expression="$expression and $filter"; done
  tag_args=(--tags="$expression")
fi

behave_status=1
if [[ ${#paths[@]} -eq 0 ]]; then
  echo "No requested suite has features to run." | tee "$run_dir/behave.log"
else
  # Plain text for behave.log, and allure-behave's own formatter writing into this run's folder.
  engine=()
  [[ "$target" != docker && "$target" != compose ]] || engine=(stack/docker/with-engine.sh)
  command=("${engine[@]}" "$python" -m behave "${paths[@]}" "${tag_args[@]}" "${userdata[@]}"
           -f plain -o - -f allure -o "$run_dir/allure-results"
           -D "results_dir=$run_dir" --junit --junit-directory "$run_dir/junit")
  echo "Running: ${command[*]}" > "$run_dir/behave.log"
  # The benchmark's progress lines go to the terminal through descriptor 3, whatever happens to behave's output.
  export BENCH_PROGRESS_FD=3
  set +e
  if $verbose; then
    "${command[@]}" 3>&2 2>&1 | tee -a "$run_dir/behave.log"
    behave_status=${PIPESTATUS[0]}
  else
    # behave.log keeps everything; the terminal gets one line per feature and scenario, and the failures.
    PYTHONUNBUFFERED=1 "${command[@]}" 3>&2 2>&1 | tee -a "$run_dir/behave.log" | show_progress
    behave_status=${PIPESTATUS[0]}
  fi
  set -e
  notes+=("behave exited with status $behave_status; its full output is in behave.log.")
fi

note_args=()
for note in "${notes[@]}"; do note_args+=(--note "$note"); done
for suite in "${not_run[@]}"; do note_args+=(--not-run "$suite"); done
# Every requested area must run something: one whose scenarios were all skipped is not verified.
for area in $(printf '%s\n' "${areas[@]}" | sort -u); do note_args+=(--area "$area"); done
set +e
"$python" -m support.report.summary "$run_dir/allure-results" --output "$run_dir/summary.md" \
  --title "Test summary $(basename "$run_dir")" "${note_args[@]}"
summary_status=$?
set -e

if $report && [[ -d "$run_dir/allure-results" ]]; then
  npx --yes "allure@$ALLURE_VERSION" generate "$run_dir/allure-results" -o "$run_dir/allure-report" \
    > "$run_dir/allure-generate.log" 2>&1 \
    && echo "Report: $run_dir/allure-report/index.html" \
    || echo "The Allure report could not be built; see $run_dir/allure-generate.log" >&2
fi

cat "$run_dir/summary.md"
echo "Results: $run_dir"
if [[ $behave_status -eq 0 && $summary_status -eq 0 ]]; then exit 0; fi
exit 1
