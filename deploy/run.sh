#!/usr/bin/env bash
# Installs packages, builds, and runs silod in the foreground with the default
# config under a temporary root: the quickest way to poke at it with crictl.
#   crictl --runtime-endpoint unix:///tmp/silo/silod.sock version
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/silo-ccache}"
# No fault-injection points in the daemon an operator runs (tests/run.sh turns them on).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSILO_FAILPOINTS=OFF -DSILO_UNITY_BUILD=ON
cmake --build build --target silod

BASE="${SILO_BASE:-/tmp/silo}"
mkdir -p "$BASE"
build/cri/daemon/silod config default > "$BASE/silod.yaml"
exec build/cri/daemon/silod --config "$BASE/silod.yaml" --root "$BASE/root" --state "$BASE/state" \
  --listen "unix://$BASE/silod.sock" "$@"
