#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test stage. The README's
# test command and .ci/run both call this script. Stages (budget and measured
# times in tests/README.md):
#   1. plain build (build/): silod, silo-shim, the reliability drivers and the
#      benchmarks, with fault-injection points compiled in; runs the
#      reliability suite, whose timings and kills want an uninstrumented silod.
#   2. Windows: silod's libraries cross-built from Debian sources (once;
#      cached by their versions and patches), silod.exe, the Win32 layers,
#      silo-shim.exe and the test helpers cross-built with mingw-w64, their
#      tests under Wine (silod.exe over its named pipe and as a service),
#      the zip checked, the PowerShell scripts parsed.
#   3. ASan+UBSan (build-asan/): every unit, fuzz and integration test, once,
#      instrumented; integration tests start the instrumented silod and shims.
#   4. TSan (build-tsan/): the tests marked CONCURRENCY, built with clang,
#      which also checks the lock annotations (-Werror=thread-safety).
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/silo-ccache}"
# This run's ccache statistics are printed before each sanitizer stage's tests
# (tests/sanitize.sh): a warm run should hit for nearly every compile.
ccache --zero-stats >/dev/null 2>&1 || true

stage() { echo; echo "== test stage: $* ($(date +%T))"; }

stage source checks
# Portable folders hold no platform-only headers or files (seconds).
./tests/check_platform_headers.sh

stage plain build
# A test build: the fault-injection points of runtime/base/failpoint.h are compiled in.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSILO_FAILPOINTS=ON -DSILO_UNITY_BUILD=ON
cmake --build build --target silo_plain_stage
ctest --test-dir build -L reliability --output-on-failure --timeout 600

stage Windows cross build and Wine
# The libraries silod.exe links (built on the first run only: the prefix is
# keyed by the package versions and patches, and a second run costs a
# second), then the whole daemon for Windows beside the Win32 layers.
./deploy/windows/deps/build-deps.sh
SILO_WIN_DEPS_PREFIX="$(./deploy/windows/deps/build-deps.sh --print-prefix)"
export SILO_WIN_DEPS_PREFIX
./deploy/build-windows.sh
ctest --test-dir build -L windows --output-on-failure --timeout 600

stage sanitizers
./tests/sanitize.sh
