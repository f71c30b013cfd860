#!/usr/bin/env bash
# Cross-compiles the Windows sources (Win32 wrapper layers, hcs_smoke.exe)
# with mingw-w64 at -Wall -Wextra -Werror. Needs g++-mingw-w64-x86-64 and
# nlohmann-json3-dev; no Abseil or gRPC.
#   deploy/build-windows.sh [BUILD_DIR]   (default: build-mingw in the repo)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${root}/build-mingw}"
jobs="${SILO_BUILD_JOBS:-2}"

if ! command -v x86_64-w64-mingw32-g++-posix >/dev/null; then
  echo "build-windows: x86_64-w64-mingw32-g++-posix not found; apt-get install g++-mingw-w64-x86-64" >&2
  exit 1
fi


if [[ -z "${1:-}" ]] && grep -q SILO_WINDOWS_CROSS "${root}/CMakeLists.txt"; then
  # The top-level project hands the cross build to runtime/windows/mingw.
  (cd "${root}" && cmake --preset windows-mingw)
else
  cmake -S "${root}/runtime/windows/mingw" -B "${build}" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="${root}/cmake/toolchain-mingw-w64.cmake" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "${build}" -- -j"${jobs}"
echo "build-windows: built $(find "${build}" -name '*.exe' -not -path '*/CMakeFiles/*' | sort | tr '\n' ' ')"
