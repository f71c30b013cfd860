#!/usr/bin/env bash
# Cross-compiles the Windows sources with mingw-w64 at -Wall -Wextra -Werror.
#   deploy/build-windows.sh [BUILD_DIR]   (default: build-mingw in the repo)
# Without the cross-built libraries: the Win32 wrapper layers and their test
# executables only (needs g++-mingw-w64-x86-64 and nlohmann-json3-dev).
# With them (SILO_WIN_DEPS_PREFIX, the prefix deploy/windows/deps/build-deps.sh
# prints with --print-prefix): also silod.exe, statically linked, and its
# Windows test executables (preset windows-mingw, top-level project); the
# Win32 layers then build beside it in BUILD_DIR/layers.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${root}/build-mingw}"
jobs="${SILO_BUILD_JOBS:-2}"

if ! command -v x86_64-w64-mingw32-g++-posix >/dev/null; then
  echo "build-windows: x86_64-w64-mingw32-g++-posix not found; apt-get install g++-mingw-w64-x86-64" >&2
  exit 1
fi

layers() {
  cmake -S "${root}/runtime/windows/mingw" -B "$1" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="${root}/cmake/toolchain-mingw-w64.cmake" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$1" -- -j"${jobs}"
}

prefix="${SILO_WIN_DEPS_PREFIX:-}"
if [[ -n "$prefix" && -d "${prefix}/lib/cmake/grpc" ]]; then
  # The whole daemon: the top-level project through the preset's settings.
  cmake -S "${root}" -B "${build}" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="${root}/cmake/toolchain-mingw-w64.cmake" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSILO_WINDOWS_CROSS=ON -DSILO_WIN_DEPS_PREFIX="${prefix}" \
    -DSILO_UNITY_BUILD=ON
  cmake --build "${build}" --target silo_windows -- -j"${jobs}"
  layers "${build}/layers"
  exe="${build}/cri/daemon/silod.exe"
  echo "build-windows: silod.exe $(stat -c %s "${exe}") bytes; imports:" \
    "$(x86_64-w64-mingw32-objdump -p "${exe}" | awk '/DLL Name/ {print $3}' | sort | tr '\n' ' ')"
elif [[ -z "${1:-}" ]] && grep -q SILO_WINDOWS_CROSS "${root}/CMakeLists.txt"; then
  # No libraries: the top-level project hands the cross build to runtime/windows/mingw.
  (cd "${root}" && cmake --preset windows-mingw)
  cmake --build "${build}" -- -j"${jobs}"
else
  layers "${build}"
fi
echo "build-windows: built $(find "${build}" -name '*.exe' -not -path '*/CMakeFiles/*' | sort | tr '\n' ' ')"
