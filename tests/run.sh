#!/usr/bin/env bash
# Installs what the tests need, builds once, and runs every test stage.
# The README's test command and .ci/run both call this script.
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/silo-ccache}" CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
# A test build: the fault-injection points of runtime/base/failpoint.h are compiled in.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSILO_FAILPOINTS=ON
cmake --build build
# The Win32 layers must keep compiling: cross-build them with mingw-w64.
./deploy/build-windows.sh
# Unit and integration tests; integration tests start the real silod themselves.
ctest --test-dir build --output-on-failure -j2 --timeout 300
# The same tests under ASan+UBSan, and the concurrency tests under TSan.
./tests/sanitize.sh
