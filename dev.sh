#!/usr/bin/env bash
# DashAI Functions developer commands:
#   ./dev.sh test    install Azurite from package-lock.json, build (Release), run every test suite
#   ./dev.sh start   run the app locally at http://localhost:7071/api/v1: Azurite (data under .artifacts/azurite) and
#                    Azure Functions Core Tools (`func start`), or the project's minimal host when `func` is missing
#   ./dev.sh demo    against a running `./dev.sh start`: upload samples/iris.csv, train two runs, compare them
set -euo pipefail
cd "$(dirname "$0")"

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: '$1' is not installed. $2" >&2; exit 1; }
}

install_azurite() {
  need node "Install Node.js 20 or newer."
  need npm "Install Node.js 20 or newer (it ships npm)."
  if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
}

# Kills every Azurite the test fixtures recorded (they stop their own; this covers a test host that was killed).
sweep_azurite() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  for f in "$dir"/*.pid; do
    [ -e "$f" ] || continue
    local pid
    pid=$(cat "$f")
    kill -TERM "$pid" 2>/dev/null || true
    sleep 0.5
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  rmdir "$dir" 2>/dev/null || true
}

cmd_test() {
  need dotnet "Install the .NET 10 SDK."
  install_azurite
  export DASHAI_TEST_PID_DIR
  DASHAI_TEST_PID_DIR="$(mktemp -d)"
  trap 'sweep_azurite "$DASHAI_TEST_PID_DIR"' EXIT
  dotnet restore DashAI.Functions.sln
  dotnet build DashAI.Functions.sln -c Release --no-restore
  dotnet test DashAI.Functions.sln -c Release --no-build "$@"
}

# Stops one process we started: SIGTERM, up to $2 seconds to exit, then SIGKILL (Azurite ignores SIGTERM for a while).
stop_pid() {
  local pid="$1" grace="${2:-5}" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# Every descendant pid of $1, so a host killed the hard way leaves no worker behind.
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

# local.settings.json's Values as KEY=VALUE lines (what Core Tools turns into environment variables).
settings_values() {
  node -e '
    const values = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).Values || {};
    for (const [key, value] of Object.entries(values)) process.stdout.write(`${key}=${value}\0`);
  ' local.settings.json
}

# Builds one project (Debug) with its output in .artifacts/build.log, shown only when the build fails.
build_quietly() {
  echo "Building $1 ..."
  dotnet build "$1" -c Debug --nologo >.artifacts/build.log 2>&1 || { cat .artifacts/build.log >&2; exit 1; }
}

START_PIDS=()
stop_started() {
  trap - EXIT INT TERM
  local pid all=()
  for pid in "${START_PIDS[@]}"; do
    all+=("$pid" $(descendants "$pid"))
  done
  # The host first (it stops its worker), then whatever it left, then Azurite.
  for pid in "${all[@]}"; do
    stop_pid "$pid" 10
  done
  [ -n "${AZURITE_PID:-}" ] && stop_pid "$AZURITE_PID" 3
  echo "Stopped." >&2
}

cmd_start() {
  need dotnet "Install the .NET 10 SDK."
  install_azurite
  [ -f local.settings.json ] || cp local.settings.sample.json local.settings.json
  mkdir -p .artifacts/azurite
  trap 'stop_started' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  node_modules/.bin/azurite --silent --skipApiVersionCheck --loose --location .artifacts/azurite &
  AZURITE_PID=$!
  build_quietly src/DashAI.Functions
  local host_pid
  if command -v func >/dev/null 2>&1; then
    echo "Serving with Azure Functions Core Tools (func start) at http://localhost:7071/api/v1"
    (cd src/DashAI.Functions/bin/Debug/net10.0 && cp ../../../../../local.settings.json . && exec func start --port 7071) &
    host_pid=$!
  else
    build_quietly tools/DashAI.Functions.LocalHost
    local storage="UseDevelopmentStorage=true" pair args=()
    while IFS= read -r -d '' pair; do
      case "$pair" in
        AzureWebJobsStorage=*) storage="${pair#AzureWebJobsStorage=}" ;;
        *) args+=(--setting "$pair") ;;
      esac
    done < <(settings_values)
    echo "Serving with the project's minimal local host (tools/DashAI.Functions.LocalHost: HTTP and queue triggers only) at http://localhost:7071/api/v1; Azure Functions Core Tools ('func') is the full host — install it for timers, keys and the rest."
    dotnet tools/DashAI.Functions.LocalHost/bin/Debug/net10.0/DashAI.Functions.LocalHost.dll \
      --app src/DashAI.Functions/bin/Debug/net10.0 --port 7071 --storage "$storage" "${args[@]}" &
    host_pid=$!
  fi
  START_PIDS+=("$host_pid")
  # A background wait returns as soon as a trapped signal arrives, so Ctrl-C stops everything at once.
  wait "$host_pid"
}

# Reads JSON on stdin and prints one field of it (`id`, or a dotted path such as `status`).
json_field() {
  node -e '
    let text = "";
    process.stdin.on("data", d => (text += d)).on("end", () => {
      let value = JSON.parse(text);
      for (const key of process.argv[1].split(".")) value = value == null ? undefined : value[key];
      console.log(value === undefined || value === null ? "" : typeof value === "object" ? JSON.stringify(value) : value);
    });
  ' "$1"
}

# curl that prints the body and fails, showing the body, on any status other than 2xx.
api() {
  local out status
  out=$(mktemp)
  status=$(curl -sS -o "$out" -w '%{http_code}' "$@") || { rm -f "$out"; echo "error: could not reach ${DEMO_URL}" >&2; exit 1; }
  if [ "${status:0:1}" != 2 ]; then
    echo "error: $* answered $status: $(cat "$out")" >&2
    rm -f "$out"
    exit 1
  fi
  cat "$out"
  rm -f "$out"
}

cmd_demo() {
  need curl "Install curl."
  need node "Install Node.js 20 or newer."
  DEMO_URL="${DASHAI_URL:-http://localhost:7071/api/v1}"
  local base="$DEMO_URL" suffix
  curl -fsS -o /dev/null "$base/health" 2>/dev/null || {
    echo "error: the API does not answer at $base/health; run ./dev.sh start in another terminal first." >&2
    exit 1
  }
  suffix=$(date +%Y%m%d-%H%M%S)

  echo "1. Upload samples/iris.csv as dataset iris-$suffix"
  local params dataset experiment
  params='{"task_name":"TabularClassificationTask","dataloader":"CSVDataLoader","dataset_name":"iris-'"$suffix"'",
    "outputs_columns":["species"],"splits":{"train_size":0.8,"val_size":0.1,"test_size":0.1,"seed":42,"shuffle":true,"stratify":true},
    "dataloader_params":{"separator":","}}'
  dataset=$(api -X POST "$base/dataset" -F "params=$params;type=application/json" -F "file=@samples/iris.csv;type=text/csv" | json_field id)
  echo "   dataset $dataset"

  echo "2. Create an experiment (TabularClassificationTask on dataset $dataset)"
  experiment=$(api -X POST "$base/experiment" -H 'Content-Type: application/json' \
    -d '{"dataset_id":'"$dataset"',"task_name":"TabularClassificationTask","name":"iris-demo-'"$suffix"'"}' | json_field id)
  echo "   experiment $experiment"

  echo "3. Add two runs and send them to train"
  local model run runs=() models=(LogisticRegression LightGbmClassifier)
  for model in "${models[@]}"; do
    run=$(api -X POST "$base/run" -H 'Content-Type: application/json' \
      -d '{"experiment_id":'"$experiment"',"model_name":"'"$model"'","name":"'"$model-$suffix"'","parameters":{}}' | json_field id)
    api -X POST "$base/job/runner?run_id=$run" >/dev/null
    echo "   run $run: $model (queued)"
    runs+=("$run")
  done

  echo "4. Wait for training"
  local names=(NOT_STARTED DELIVERED STARTED FINISHED ERROR CANCELLED) start=$SECONDS line last="" done status stage body
  while true; do
    line="" done=0
    for run in "${runs[@]}"; do
      body=$(api "$base/run/$run")
      status=$(json_field status <<<"$body")
      stage=$(json_field stage <<<"$body")
      line+="run $run ${names[$status]:-$status}${stage:+ ($stage)}   "
      [ "$status" -ge 3 ] && done=$((done + 1))
    done
    # One line redrawn in a terminal; a new line per change otherwise (a log keeps every step).
    if [ -t 1 ]; then
      printf '\r\033[K   %3ds  %s' $((SECONDS - start)) "$line"
    elif [ "$line" != "${last:-}" ]; then
      printf '   %3ds  %s\n' $((SECONDS - start)) "$line"
    fi
    last="$line"
    [ "$done" -eq "${#runs[@]}" ] && break
    if [ $((SECONDS - start)) -gt 600 ]; then
      echo; echo "error: the runs did not finish within 10 minutes" >&2; exit 1
    fi
    sleep 1
  done
  [ -t 1 ] && echo

  echo "5. Metrics"
  local bodies=()
  for run in "${runs[@]}"; do bodies+=("$(api "$base/run/$run")"); done
  node -e '
    const runs = process.argv.slice(1).map(text => JSON.parse(text));
    const rows = [["", ...runs.map(r => `run ${r.id} ${r.model_name}`)]];
    for (const split of ["validation_metrics", "test_metrics"]) {
      const names = [...new Set(runs.flatMap(r => Object.keys(r[split] || {})))];
      for (const name of names) {
        rows.push([`${split.replace("_metrics", "")} ${name}`, ...runs.map(r => {
          const value = (r[split] || {})[name];
          return typeof value === "number" ? value.toFixed(4) : value === undefined ? "-" : JSON.stringify(value);
        })]);
      }
    }
    for (const r of runs) if (r.error) rows.push([`error (run ${r.id})`, r.error]);
    const widths = rows[0].map((_, i) => Math.max(...rows.map(row => String(row[i] ?? "").length)));
    for (const row of rows) console.log("   " + row.map((cell, i) => String(cell ?? "").padEnd(widths[i])).join("  "));
  ' "${bodies[@]}"

  echo "6. Predict one row"
  local out code
  out=$(mktemp)
  code=$(curl -sS -o "$out" -w '%{http_code}' -X POST "$base/run/${runs[0]}/predict" -H 'Content-Type: application/json' \
    -d '{"rows":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}')
  case "$code" in
    2*) echo "   $(cat "$out")" ;;
    *) echo "   POST /run/${runs[0]}/predict answered $code: $(cat "$out")" ;;
  esac
  rm -f "$out"
}

case "${1:-}" in
  test) shift; cmd_test "$@" ;;
  start) shift; cmd_start "$@" ;;
  demo) shift; cmd_demo "$@" ;;
  *) echo "usage: ./dev.sh test | ./dev.sh start | ./dev.sh demo" >&2; exit 2 ;;
esac
