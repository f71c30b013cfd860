#!/usr/bin/env bash
# Builds the smoke project against the Windows dependency prefix, checks that
# its executables import nothing but Windows' own System32 DLLs, and runs
# them under Wine.
#   deploy/windows/deps/smoke/run.sh [BUILD_DIR]   (default: build-win-deps-smoke in the repo)
# The prefix is SILO_WIN_DEPS_PREFIX, else build-deps.sh --print-prefix.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../../../.." && pwd)"
build="${1:-${repo}/build-win-deps-smoke}"
prefix="${SILO_WIN_DEPS_PREFIX:-$("${here}/../build-deps.sh" --print-prefix)}"
[[ -f "${prefix}/.silo-complete" ]] || { echo "smoke: ${prefix} is not complete (run build-deps.sh)" >&2; exit 1; }

cmake -S "${here}" -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="${repo}/cmake/toolchain-mingw-w64.cmake" -DSILO_WIN_DEPS_PREFIX="${prefix}"
cmake --build "${build}" -j"${SILO_BUILD_JOBS:-2}"

wine=""
for w in /usr/lib/wine/wine64 "$(command -v wine64 || true)"; do
  if [[ -n "$w" && -x "$w" ]]; then wine="$w"; break; fi
done
[[ -n "${wine}" ]] || { echo "smoke: wine64 not installed" >&2; exit 1; }
WINEPREFIX="$(mktemp -d /tmp/silo-smoke-wine-XXXXXX)"
export WINEPREFIX WINEDEBUG=-all
trap '/usr/lib/wine/wineserver64 -k 2>/dev/null || true; rm -rf "${WINEPREFIX}"' EXIT
"${wine}" wineboot --init >/dev/null 2>&1 || true
system32="${WINEPREFIX}/drive_c/windows/system32"

status=0
for exe in smoke.exe smoke_gtest.exe; do
  mapfile -t dlls < <(x86_64-w64-mingw32-objdump -p "${build}/${exe}" | awk '/DLL Name:/ {print $3}')
  echo "smoke: ${exe} imports ${dlls[*]}"
  for dll in "${dlls[@]}"; do
    if [[ -z "$(find "${system32}" -maxdepth 1 -iname "${dll}" -print -quit)" ]]; then
      echo "smoke: ${exe} imports ${dll}, which is not a System32 DLL" >&2; status=1
    fi
  done
  timeout 300 "${wine}" "${build}/${exe}" || { echo "smoke: ${exe} failed under Wine" >&2; status=1; }
done
exit ${status}
