#!/usr/bin/env bash
# DashAI Functions developer commands:
#   ./dev.sh test    install Azurite from package-lock.json, build (Release), run every test suite
#   ./dev.sh start   run the app locally: Azurite + Azure Functions Core Tools (`func start`)
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

cmd_start() {
  need dotnet "Install the .NET 10 SDK."
  install_azurite
  if ! command -v func >/dev/null 2>&1; then
    cat >&2 <<'MSG'
error: Azure Functions Core Tools ('func') is not installed; it hosts the app locally.
Install version 4 (see "Run the app" in README.md), e.g. `npm install -g azure-functions-core-tools@4`
or your OS package, then run ./dev.sh start again.
MSG
    exit 1
  fi
  [ -f local.settings.json ] || cp local.settings.sample.json local.settings.json
  mkdir -p .artifacts/azurite
  node_modules/.bin/azurite --silent --skipApiVersionCheck --loose --location .artifacts/azurite &
  local azurite_pid=$!
  trap 'kill -TERM $azurite_pid 2>/dev/null; sleep 1; kill -KILL $azurite_pid 2>/dev/null || true' EXIT
  dotnet build src/DashAI.Functions -c Debug
  (cd src/DashAI.Functions/bin/Debug/net10.0 && cp ../../../../../local.settings.json . && func start)
}

case "${1:-}" in
  test) shift; cmd_test "$@" ;;
  start) shift; cmd_start "$@" ;;
  *) echo "usage: ./dev.sh test | ./dev.sh start" >&2; exit 2 ;;
esac
