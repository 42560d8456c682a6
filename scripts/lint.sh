#!/usr/bin/env bash
# Static analysis: clang-tidy (checks in .clang-tidy) and cppcheck over the project's C sources.
# Usage: scripts/lint.sh BUILD_DIR   (BUILD_DIR holds compile_commands.json)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -f "$build/compile_commands.json" ] || { echo "lint: no $build/compile_commands.json (run cmake first)"; exit 2; }
status=0
sources=$(git ls-files '*.c' | grep -v '^tests/fuzz/')
echo "== cppcheck"
cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
  --inline-suppr --suppressions-list=.cppcheck-suppressions \
  --std=c11 -I . -D__GNUC__ $sources || status=1
echo "== clang-tidy"
for f in $sources; do
  out=$(clang-tidy -p "$build" --quiet "$f" 2>/dev/null)
  if echo "$out" | grep -qE "warning:|error:"; then echo "$out"; status=1; fi
done
[ $status = 0 ] && echo "lint: clean"
exit $status
