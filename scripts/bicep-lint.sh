#!/usr/bin/env bash
# Compiles infra/main.bicep and lints every .bicep file under infra/ with the Bicep CLI taken
# from NuGet (the only tool source CI has besides the .NET SDK). Fails on any compiler error or
# warning and on any linter finding: infra/bicepconfig.json makes every rule an error and says
# why any rule is off. Idempotent; the CLI lands in infra/tools/.packages (ignored by git) and
# the compiled template in infra/obj/main.json.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

tool_project=infra/tools/bicep-cli.csproj
version="$(sed -n 's:.*<BicepVersion>\(.*\)</BicepVersion>.*:\1:p' "$tool_project")"
case "$(uname -m)" in
  x86_64 | amd64) runtime=linux-x64 ;;
  aarch64 | arm64) runtime=linux-arm64 ;;
  *) echo "bicep-lint: no Bicep CLI package for $(uname -m)" >&2; exit 2 ;;
esac
bicep="infra/tools/.packages/azure.bicep.commandline.$runtime/$version/tools/bicep"

if [[ ! -f "$bicep" ]]; then
  echo "bicep-lint: restoring Bicep CLI $version ($runtime) from NuGet"
  dotnet restore "$tool_project" -p:BicepRuntime="$runtime" --nologo -v quiet
fi
chmod u+x "$bicep"
echo "bicep-lint: $("$bicep" --version)"

mkdir -p infra/obj
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

status=0
"$bicep" build infra/main.bicep --outfile infra/obj/main.json >>"$log" 2>&1 || status=$?
"$bicep" lint --pattern 'infra/**/*.bicep' >>"$log" 2>&1 || status=$?

# Diagnostics look like: path(line,col) : Warning rule-or-BCPcode: message [link]
diagnostics="$(grep -E ' : (Error|Warning|Info) ' "$log" | sort -u || true)"
if [[ $status -ne 0 || -n "$diagnostics" ]]; then
  echo "bicep-lint: FAILED (exit $status)" >&2
  cat "$log" >&2
  exit 1
fi

files="$(find infra -name '*.bicep' -not -path 'infra/tools/*' | wc -l)"
echo "bicep-lint: OK: $files Bicep files compiled and linted, 0 diagnostics; template at infra/obj/main.json"
