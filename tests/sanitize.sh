#!/usr/bin/env bash
# The sanitizer stages of the test command (tests/run.sh calls this after the
# plain build's tests):
#   1. ASan+UBSan: every unit, fuzz and integration test, instrumented: the
#      only build and run of them (build-asan/; integration tests start the
#      instrumented silod and shims).
#   2. TSan: the tests marked CONCURRENCY in CMake (build-tsan/ builds only
#      their targets; the others stay unbuilt and are left out of the run).
#      Debian's Abseil is not built with TSan, so the project locks through
#      silo::Mutex / silo::Notification (runtime/base/mutex.h), which announce
#      their hand-offs to TSan; code locking absl's types directly would
#      report false races.
# -O1 -g1 keeps the instrumented builds cheap to compile; ccache makes the
# next run cheaper still. Reliability, benchmark and Windows stages run on the
# plain build.
#   tests/sanitize.sh [--build-only] [asan|tsan]...   (default: both)
# SILO_BUILD_ROOT puts the build dirs elsewhere (tests/build_profile.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=0
if [ "${1:-}" = --build-only ]; then build_only=1; shift; fi
broot="${SILO_BUILD_ROOT:-.}"

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/silo-ccache}"
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(asan tsan)

ccache_stats() { echo "ccache since the test command started:"; ccache --show-stats 2>/dev/null | grep -E 'Hits|Misses' || true; }

configure() {  # configure DIR SANITIZERS [CMAKE ARGS...]
  local dir="$1" sanitizers="$2"
  shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O1 -DSILO_SANITIZE="$sanitizers" \
    -DSILO_UNITY_BUILD=ON "$@" >/dev/null
}

for stage in "${stages[@]}"; do
  case "$stage" in
    asan)
      configure "$broot/build-asan" address,undefined
      cmake --build "$broot/build-asan"
      ((build_only)) && continue
      ccache_stats
      # Leak checking stays on; silod and its shims exit through their normal
      # paths in the tests that stop them gracefully.
      ASAN_OPTIONS=abort_on_error=1:detect_stack_use_after_return=0 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan -L 'unit|integration' --output-on-failure -j2 --timeout 600
      ;;
    tsan)
      # Debian's clang, so the same build checks the lock annotations
      # (-Werror=thread-safety, set in CMakeLists.txt for clang) at no extra
      # build cost.
      configure "$broot/build-tsan" thread -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
      cmake --build "$broot/build-tsan" --target silo_concurrency_tests
      ((build_only)) && continue
      ccache_stats
      TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        ctest --test-dir build-tsan -L unit -LE fuzz -E '_NOT_BUILT$' --output-on-failure -j2 --timeout 600
      ;;
    *) echo "unknown stage $stage (asan|tsan)" >&2; exit 2 ;;
  esac
done
