#!/bin/bash
# Side-by-side CRI benchmark, silod against containerd, in one command:
#   sudo tests/bench/compare/run.sh [--full|--quick] [--rounds N] [--build DIR] [--silod PATH] [--out FILE]
#   sudo tests/bench/compare/run.sh --lifecycle [--cycles N] [--build DIR] [--out FILE]
#   sudo tests/bench/compare/run.sh --baseline OLD_SILOD [--rounds N] ...
# On a fresh machine it first installs the packages (deploy/install-deps.sh)
# and builds silod, silo-shim and the driver in BUILD (default build/);
# SILO_COMPARE_NO_BUILD=1 skips that.
# Starts a local registry with the test images, containerd (Debian's 1.6, CRI
# plugin on a private socket/root/state) and silod side by side, runs
# silo_bench_compare against each, alternating A/B per workload and round,
# prints one table (metric, silod, containerd, ratio) and silod's step
# breakdown, then removes everything it started. Everything runs in a private
# network and mount namespace: bridges, iptables rules, ip_forward and netns
# mounts never reach the host. Default: ~6-8 min on 2 cores; --full: the
# issue's sizes (100 pods, 1/5/20 pods/s churn for 60 s, 256 MiB pull), ~20 min.
# --lifecycle: instead, the container life cycle (create, start, stop,
# remove) of silod, containerd and runc alone, interleaved in one loop
# (silo_bench_lifecycle), N cycles (default 50).
# --baseline: instead of containerd, the B side is another silod build (the
# one before a change, its silo-shim beside it), interleaved with this one in
# the same run, so a before/after comparison shares the machine's load.
set -euo pipefail

FULL=0
LIFECYCLE=0
CYCLES=50
ROUNDS=""
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
BUILD=${SILO_BUILD:-$SRC/build}
OUT=""
SILOD=""
BASELINE=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --full) FULL=1 ;;
    --quick) FULL=-1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --lifecycle) LIFECYCLE=1 ;;
    --cycles) CYCLES=$2; shift ;;
    --build) BUILD=$2; shift ;;
    --out) OUT=$2; shift ;;
    --silod) SILOD=$2; shift ;;
    --baseline) BASELINE=$2; shift ;;
    *) echo "usage: $0 [--full|--quick|--lifecycle [--cycles N]] [--rounds N] [--build DIR] [--silod PATH] [--baseline PATH] [--out FILE]" >&2
       exit 2 ;;
  esac
  shift
done
if [[ -z "${SILO_COMPARE_INNER:-}" && -z "${SILO_COMPARE_NO_BUILD:-}" ]]; then
  "$SRC/deploy/install-deps.sh"
  export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/silo-ccache}" CCACHE_BASEDIR="$SRC" CCACHE_NOHASHDIR=1
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSILO_FAILPOINTS=OFF >/dev/null
  cmake --build "$BUILD" --target silod silo-shim silo_bench_compare silo_bench_lifecycle
fi
BUILD=$(cd "$BUILD" && pwd)
if [[ -n $BASELINE ]]; then
  [[ $LIFECYCLE == 0 ]] || { echo "run.sh: --baseline and --lifecycle do not combine" >&2; exit 2; }
  [[ -x $BASELINE ]] || { echo "run.sh: no silod at $BASELINE" >&2; exit 2; }
  BASELINE=$(cd "$(dirname "$BASELINE")" && pwd)/$(basename "$BASELINE")
fi
B=${BASELINE:+baseline}; B=${B:-containerd}  # the B side's name in the table
DRIVER=$BUILD/tests/bench/compare/silo_bench_compare
SILOD=${SILOD:-$BUILD/cri/daemon/silod}

die() { echo "run.sh: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root (pods, cgroups, namespaces)"
for f in "$DRIVER" "$SILOD" /usr/lib/cni/bridge /bin/busybox; do [[ -x $f ]] || die "missing $f (build silo_bench_compare; install deps)"; done
for c in containerd containerd-shim-runc-v2 runc docker-registry skopeo unshare curl; do
  command -v "$c" >/dev/null || die "missing $c (deploy/install-deps.sh)"
done

# Re-run inside a private network + mount namespace.
if [[ -z "${SILO_COMPARE_INNER:-}" ]]; then
  export SILO_COMPARE_INNER=1
  args=(--build "$BUILD"); [[ $FULL == 1 ]] && args+=(--full); [[ $FULL == -1 ]] && args+=(--quick); [[ -n $ROUNDS ]] && args+=(--rounds "$ROUNDS")
  [[ -n $OUT ]] && args+=(--out "$OUT")
  [[ $LIFECYCLE == 1 ]] && args+=(--lifecycle --cycles "$CYCLES")
  args+=(--silod "$SILOD")
  [[ -n $BASELINE ]] && args+=(--baseline "$BASELINE")
  exec unshare --net --mount --propagation private -- "$0" "${args[@]}"
fi

if [[ $FULL == 1 ]]; then
  ROUNDS=${ROUNDS:-1}; PODS=25; RATES="1 5 20"; SECONDS_=60; ALIVE=20; DENSITY=100; ITER=100; STOPS=5
  BIG_LAYERS=32; BIG_MB=8
elif [[ $FULL == -1 ]]; then  # a smoke test of the script itself, ~1 min
  ROUNDS=${ROUNDS:-1}; PODS=2; RATES="2"; SECONDS_=5; ALIVE=3; DENSITY=5; ITER=5; STOPS=1
  BIG_LAYERS=2; BIG_MB=1
else
  ROUNDS=${ROUNDS:-2}; PODS=10; RATES="5"; SECONDS_=20; ALIVE=10; DENSITY=30; ITER=50; STOPS=3
  BIG_LAYERS=16; BIG_MB=4
fi

# Short paths: unix socket paths (silo-shim sockets under the state dir) must fit in 108 bytes.
W=$(mktemp -d /tmp/cmpXXXXXX)
ID=$(basename "$W")
CGROUP_PARENT=/$ID  # every pod of both runtimes lives below it
METRICS=127.0.0.1:19464  # a fixed port is fine: the network namespace is ours alone
REG_PID="" SILOD_PID="" CTD_PID="" BASE_PID=""

stop_pid() {  # pid: TERM, then KILL after 20 s
  local pid=$1 i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  set +e
  stop_pid "$SILOD_PID"
  stop_pid "$CTD_PID"
  stop_pid "$BASE_PID"
  stop_pid "$REG_PID"  # before the sweep below, which would match its command line
  # Shims and containers a failed workload left: found by our private paths
  # and cgroup parent, ended by pid.
  for pid in $(pgrep -f "$W/"); do kill -KILL "$pid" 2>/dev/null; done
  for procs in /sys/fs/cgroup/*$CGROUP_PARENT/cgroup.procs; do
    [[ -f $procs ]] && for pid in $(cat "$procs"); do kill -KILL "$pid" 2>/dev/null; done
  done
  sleep 0.5
  for dir in /sys/fs/cgroup/*$CGROUP_PARENT; do
    [[ -d $dir ]] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  awk -v w="$W/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  umount -l /run/netns 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip link set lo up
# containerd pins pod netns under /run/netns: a tmpfs of our own keeps them off the host.
mkdir -p /run/netns && mount -t tmpfs -o size=1m tmpfs /run/netns
mkdir -p "$W/results" "$W/logs" "$W/silod/cni" "$W/ctd/cni" "$W/base/cni"

echo "== building and pushing test images"
BIG_COUNT=$((ROUNDS * 2))
"$DRIVER" registry --scratch "$W/images" --env "$W/images.env" --big-count $BIG_COUNT \
  --big-layers $BIG_LAYERS --big-layer-mb $BIG_MB &
REG_PID=$!
for i in $(seq 1800); do [[ -f $W/images.env ]] && break; kill -0 $REG_PID 2>/dev/null || die "registry helper failed"; sleep 0.2; done
[[ -f $W/images.env ]] || die "images not pushed in time"
# shellcheck disable=SC1091
source "$W/images.env"

# The same CNI conflist for both; only the names, bridges, subnets and IPAM dirs differ.
conflist() {  # name bridge subnet ipam_dir
  cat <<JSON
{"cniVersion": "1.0.0", "name": "$1", "plugins": [
  {"type": "bridge", "bridge": "$2", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "dataDir": "$4", "ranges": [[{"subnet": "$3"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "bandwidth", "capabilities": {"bandwidth": true}},
  {"type": "loopback"}]}
JSON
}
conflist bench-silod cmp-silod 10.88.0.0/16 "$W/silod/ipam" > "$W/silod/cni/10-bench.conflist"
conflist bench-containerd cmp-ctd 10.89.0.0/16 "$W/ctd/ipam" > "$W/ctd/cni/10-bench.conflist"
conflist bench-baseline cmp-base 10.90.0.0/16 "$W/base/ipam" > "$W/base/cni/10-bench.conflist"

echo "== starting silod"
cat > "$W/silod/silod.yaml" <<YAML
log: {level: info}
cni: {conf_dir: $W/silod/cni, bin_dirs: [/usr/lib/cni]}
registry: {insecure: ["$REGISTRY"]}
metrics: {address: "$METRICS"}
YAML
"$SILOD" --config "$W/silod/silod.yaml" --root "$W/silod/root" --state "$W/ss" \
  --listen "unix://$W/silod/silod.sock" > "$W/silod/silod.log" 2>&1 &
SILOD_PID=$!

if [[ -n $BASELINE ]]; then
  echo "== starting the baseline silod $BASELINE"
  sed -e "s|$W/silod/cni|$W/base/cni|" -e '/^metrics:/d' "$W/silod/silod.yaml" > "$W/base/silod.yaml"
  "$BASELINE" --config "$W/base/silod.yaml" --root "$W/base/root" --state "$W/bs" \
    --listen "unix://$W/base/silod.sock" > "$W/base/silod.log" 2>&1 &
  BASE_PID=$!
else
echo "== starting containerd $(containerd --version | awk '{print $3}')"
cat > "$W/ctd/config.toml" <<TOML
version = 2
root = "$W/ctd/root"
state = "$W/ctd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$W/ctd/containerd.sock"
[ttrpc]
  address = "$W/ctd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$W/ctd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$W/ctd/cni"
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."$REGISTRY"]
    endpoint = ["http://$REGISTRY"]
TOML
containerd --config "$W/ctd/config.toml" > "$W/ctd/containerd.log" 2>&1 &
CTD_PID=$!
fi

B_SOCK=$W/ctd/containerd.sock; [[ -n $BASELINE ]] && B_SOCK=$W/base/silod.sock
for sock in "$W/silod/silod.sock" "$B_SOCK"; do
  for i in $(seq 300); do [[ -S $sock ]] && break; sleep 0.1; done
  [[ -S $sock ]] || { tail -20 "$W/silod/silod.log" "$W/ctd/containerd.log" >&2; die "no socket $sock"; }
done

if [[ $LIFECYCLE == 1 ]]; then
  echo "== container life cycle: silod, containerd $(containerd --version | awk '{print $3}') and runc alone, $CYCLES cycles"
  "$BUILD/tests/bench/silo_bench_lifecycle" "$CYCLES" --containerd "$W/ctd/containerd.sock" \
    --containerd-image "$BUSYBOX" | tee "${OUT:-/dev/null}"
  exit "${PIPESTATUS[0]}"
fi

# run RUNTIME WORKLOAD TAG [extra driver flags]
run() {
  local rt=$1 wl=$2 tag=$3; shift 3
  local sock pid shim match
  if [[ $rt == silod ]]; then
    sock=$W/silod/silod.sock pid=$SILOD_PID shim=silo-shim match=$W/ss/
  elif [[ $rt == baseline ]]; then
    sock=$W/base/silod.sock pid=$BASE_PID shim=silo-shim match=$W/bs/
  else
    sock=$W/ctd/containerd.sock pid=$CTD_PID shim=containerd-shim-runc-v2 match=$W/ctd/containerd.sock
  fi
  echo "-- $rt $wl $tag"
  "$DRIVER" run --socket "$sock" --runtime "$rt" --workload "$wl" --out "$W/results/$tag-$rt.json" \
    --image "$BUSYBOX" --pause-image "$PAUSE" --log-dir "$W/logs/$rt" --cgroup-parent "$CGROUP_PARENT/$rt" \
    --daemon-pid "$pid" --shim-name "$shim" --shim-match "$match" \
    --pods $PODS --alive $ALIVE --seconds $SECONDS_ --density $DENSITY --iterations $ITER --stops $STOPS "$@" ||
    echo "   ($rt $wl failed; its partial results are kept)" >&2
}

START=$(date +%s)
for r in $(seq "$ROUNDS"); do
  echo "== round $r/$ROUNDS"
  # Result files sort in workload order, so the table keeps it.
  # A then B on odd rounds, B then A on even ones: drift hits both alike.
  order="silod $B"; (( r % 2 == 0 )) && order="$B silod"
  for rt in $order; do run "$rt" podstart "r$r-1podstart"; done
  for rate in $RATES; do for rt in $order; do run "$rt" churn "r$r-2churn$rate" --rate "$rate"; done; done
  for rt in $order; do run "$rt" density "r$r-3density"; done
  i=0
  for rt in $order; do
    run "$rt" pull "r$r-4pull" --big-image "$BIG_PREFIX$(( (r - 1) * 2 + i ))"; i=$((i + 1))
  done
  for rt in $order; do run "$rt" stop "r$r-5stop"; done
done

{
  echo
  vs="containerd $(containerd --version | awk '{print $3}')"; [[ -n $BASELINE ]] && vs="baseline silod $BASELINE"
  echo "silod vs $vs, $ROUNDS round(s), $(( $(date +%s) - START )) s;" \
    "machine: $(nproc) cores, kernel $(uname -r), $(free -m | awk '/^Mem:/ {print $2}') MiB RAM;" \
    "big image $BIG_LAYERS x $BIG_MB MiB; times in ms"
  echo
  "$DRIVER" table --a silod --b "$B" "$W"/results/*.json
  echo
  echo "silod steps (mean ms over the whole run, from its metrics endpoint):"
  curl -fsS "http://$METRICS/metrics" | awk '
    /^silo_(pod_sandbox_start|container_start|container_create|cni_call)_duration_seconds_(sum|count)/ {
      split($1, p, "{"); name = p[1]; labels = (length(p) > 1) ? "{" p[2] : "";
      base = name; sub(/_(sum|count)$/, "", base);
      key = base labels; if (!(key in seen)) { seen[key] = 1; order[n++] = key }
      if (name ~ /_sum$/) sum[key] = $2; else cnt[key] = $2 }
    END { for (i = 0; i < n; i++) { k = order[i]; if (cnt[k] > 0) printf "  %-90s n=%-5d mean %.1f\n", k, cnt[k], 1000 * sum[k] / cnt[k] } }'
} | tee "${OUT:-/dev/null}"
