#!/usr/bin/env bash
# Installs every Debian 12 package Silo's build, tests and main job need.
# Idempotent: re-running only installs what is missing.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  clang  # the TSan stage builds with it, checking the lock annotations (-Werror=thread-safety)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libyaml-cpp-dev prometheus-cpp-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev
  libcurl4-openssl-dev libarchive-dev libsqlite3-dev libboost-dev zlib1g-dev libssl-dev
  g++-mingw-w64-x86-64 mingw-w64-x86-64-dev
  libz-mingw-w64-dev unicode-data  # Windows dependency prefix (deploy/windows/deps/build-deps.sh)
  wine64  # runs the cross-built Windows test executables (deploy/run-windows-tests.sh)
)
RUNTIME_PKGS=(
  runc containerd containernetworking-plugins iptables iproute2 docker-registry skopeo
  busybox-static curl ca-certificates procps util-linux iputils-ping
  prometheus  # the Prometheus test scrapes silod and evaluates the Grafana dashboard
)

missing=()
for p in "${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node + npm for the PowerShell syntax check (deploy/windows/check-scripts.sh).
# Only when absent: a node from another source (e.g. nodesource, which bundles
# npm) must not be replaced by Debian's packages.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
