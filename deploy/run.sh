#!/usr/bin/env bash
# The quick start: installs packages, builds, and runs silod in the foreground
# with a working pod network and a local registry, then prints the crictl
# commands that run a pod (README "Quick start"). Everything lives under BASE
# (default /tmp/silo, or $SILO_BASE); nothing is written to /etc:
#   BASE/silod.yaml, BASE/cni/ (bridge conflist), BASE/pod.json,
#   BASE/container.json, BASE/root, BASE/state, BASE/logs.
# A registry on 127.0.0.1:5000 serves a busybox image built here, so no
# internet is needed. Ctrl-C stops silod and the registry.
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/silo-ccache}"
# No fault-injection points in the daemon an operator runs (tests/run.sh turns them on).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSILO_FAILPOINTS=OFF -DSILO_UNITY_BUILD=ON
cmake --build build --target silod silo-shim silo_seed_registry

BASE="${SILO_BASE:-/tmp/silo}"
REGISTRY=127.0.0.1:5000
mkdir -p "$BASE"
BASE=$(cd "$BASE" && pwd)
SUBNET=$(./deploy/quickstart/setup.sh "$BASE" "$REGISTRY")

REG_PID=""
cleanup() { [[ -n $REG_PID ]] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null; true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$BASE/registry-scratch"
build/tests/support/silo_seed_registry --port 5000 --scratch "$BASE/registry-scratch" --name silo/busybox \
  > "$BASE/registry.out" 2>&1 &
REG_PID=$!
for _ in $(seq 600); do
  [[ -s $BASE/registry.out ]] && break
  kill -0 "$REG_PID" 2>/dev/null || { cat "$BASE/registry.out" >&2; exit 1; }
  sleep 0.1
done
IMAGE=$(head -1 "$BASE/registry.out")

cat <<TXT

silod: unix://$BASE/silod.sock   pods: $SUBNET (bridge silo-qs0)   image: $IMAGE
metrics: http://127.0.0.1:9464/metrics   config: $BASE/silod.yaml
In another shell (crictl from https://github.com/kubernetes-sigs/cri-tools/releases):

  export CONTAINER_RUNTIME_ENDPOINT=unix://$BASE/silod.sock IMAGE_SERVICE_ENDPOINT=unix://$BASE/silod.sock
  crictl pull $IMAGE
  POD=\$(crictl runp $BASE/pod.json)
  CTR=\$(crictl create \$POD $BASE/container.json $BASE/pod.json)
  crictl start \$CTR
  crictl logs \$CTR
  crictl exec \$CTR busybox ip -4 addr show eth0
  crictl stats; crictl statsp; crictl inspect \$CTR | head -40
  crictl stopp \$POD && crictl rmp \$POD

TXT
build/cri/daemon/silod --config "$BASE/silod.yaml" --root "$BASE/root" --state "$BASE/state" \
  --listen "unix://$BASE/silod.sock" "$@"
