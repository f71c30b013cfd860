#!/usr/bin/env bash
# Writes what the quick start (deploy/run.sh) runs silod with into BASE:
#   BASE/silod.yaml                     silod's config (CNI, registry, metrics)
#   BASE/cni/10-silo-quickstart.conflist bridge + host-local + portmap + loopback
#   BASE/pod.json, BASE/container.json  crictl runp/create inputs (CRI field names)
# The pod subnet is the first private range no route of this host overlaps.
# Nothing is written outside BASE. The integration test
# tests/integration/quickstart_test.cc runs this same script.
#   deploy/quickstart/setup.sh BASE [REGISTRY_HOST]   (default 127.0.0.1:5000)
set -euo pipefail
BASE=${1:?usage: setup.sh BASE [REGISTRY_HOST]}
REGISTRY=${2:-127.0.0.1:5000}
IMAGE="$REGISTRY/silo/busybox:v1"
CNI_BIN=/usr/lib/cni  # Debian's containernetworking-plugins

ip2int() { local IFS=.; read -r a b c d <<<"$1"; echo $(((a << 24) | (b << 16) | (c << 8) | d)); }
# overlaps A/len B/len: true when the two IPv4 prefixes share an address.
overlaps() {
  local a=${1%/*} al=${1#*/} b=${2%/*} bl=${2#*/}
  [[ $1 == */* ]] || al=32
  [[ $2 == */* ]] || bl=32
  local l=$((al < bl ? al : bl))
  local mask=$(((0xffffffff << (32 - l)) & 0xffffffff))
  (((($(ip2int "$a") ^ $(ip2int "$b")) & mask) == 0))
}
pick_subnet() {
  local routes candidate r
  # Every IPv4 destination the host routes to, except the default route and
  # the quick start's own bridge (a re-run keeps its subnet).
  routes=$(ip -4 route show table all 2>/dev/null | grep -v ' dev silo-qs0 ' |
    awk '{d = $1} $1 ~ /^(unicast|local|broadcast|multicast|anycast|blackhole|unreachable|prohibit|throw|nat)$/ {d = $2}
         d != "default" {print d}')
  for candidate in 10.88.0.0/16 10.89.0.0/16 10.90.0.0/16 172.29.0.0/16 192.168.231.0/24; do
    local taken=0
    for r in $routes; do
      [[ $r == */0 ]] && continue
      if overlaps "$candidate" "$r"; then taken=1; break; fi
    done
    ((taken)) || { echo "$candidate"; return 0; }
  done
  echo "setup.sh: every candidate pod subnet overlaps a route of this host" >&2
  return 1
}

SUBNET=$(pick_subnet)
mkdir -p "$BASE/cni" "$BASE/logs"
BASE=$(cd "$BASE" && pwd)
cat > "$BASE/cni/10-silo-quickstart.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "silo-quickstart",
  "plugins": [
    {"type": "bridge", "bridge": "silo-qs0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$BASE/ipam", "ranges": [[{"subnet": "$SUBNET"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
JSON
cat > "$BASE/silod.yaml" <<YAML
# Written by deploy/quickstart/setup.sh; every other key keeps its default
# (silod config default prints them all).
cni:
  conf_dir: $BASE/cni
  bin_dirs: [$CNI_BIN]
registry:
  # The local registry seeded by the quick start speaks plain HTTP.
  insecure: ["$REGISTRY"]
metrics:
  address: "127.0.0.1:9464"
YAML
cat > "$BASE/pod.json" <<JSON
{
  "metadata": {"name": "quickstart", "namespace": "default", "uid": "quickstart-pod-1", "attempt": 0},
  "hostname": "quickstart",
  "log_directory": "$BASE/logs",
  "linux": {}
}
JSON
cat > "$BASE/container.json" <<JSON
{
  "metadata": {"name": "hello"},
  "image": {"image": "$IMAGE"},
  "command": ["/bin/sh", "-c", "echo hello from silo; while true; do sleep 1; done"],
  "log_path": "hello.log",
  "linux": {}
}
JSON
echo "$SUBNET"
