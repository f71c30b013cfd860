#!/usr/bin/env bash
# Runs the Windows test executables of the mingw-w64 cross build under Wine
# (Debian's wine64): the Job Object tests exercise real Win32 job objects,
# IO completion ports and accounting there. HCS/HCN are not in Wine; their
# logic is tested on Linux against fakes.
#   deploy/run-windows-tests.sh [MINGW_BUILD_DIR]   (default: build-mingw)
# Exit codes: 0 all passed, 1 a test failed, 77 nothing to run (no Wine or no
# cross build), which ctest reports as skipped.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${root}/build-mingw}"
wine=""
for w in /usr/lib/wine/wine64 "$(command -v wine64 || true)" "$(command -v wine || true)"; do
  if [[ -n "$w" && -x "$w" ]]; then wine="$w"; break; fi
done
if [[ -z "$wine" ]]; then echo "run-windows-tests: wine64 not installed (apt-get install wine64)"; exit 77; fi
mapfile -t tests < <(find "$build" -name '*_test.exe' -not -path '*/CMakeFiles/*' 2>/dev/null | sort)
if [[ ${#tests[@]} -eq 0 ]]; then echo "run-windows-tests: no *_test.exe under $build (run deploy/build-windows.sh)"; exit 77; fi

prefix="$(mktemp -d /tmp/silo-wineprefix-XXXXXX)"
trap 'WINEPREFIX="$prefix" /usr/lib/wine/wineserver64 -k 2>/dev/null; rm -rf "$prefix"' EXIT
export WINEPREFIX="$prefix" WINEDEBUG=-all
failed=0
for t in "${tests[@]}"; do
  echo "== $t"
  if ! timeout 300 "$wine" "$t"; then failed=1; echo "run-windows-tests: FAILED $t"; fi
  # A fresh wineserver for the next executable: a service or child a test
  # left running would otherwise answer the next one's service-manager and
  # pipe calls (Wine hands StartServiceCtrlDispatcher the current control pipe).
  /usr/lib/wine/wineserver64 -k 2>/dev/null || true
  /usr/lib/wine/wineserver64 -w 2>/dev/null || true
done
exit $failed
