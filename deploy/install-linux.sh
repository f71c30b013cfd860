#!/usr/bin/env bash
# Installs silod as a Linux service from a build directory:
#   PREFIX/bin/silod, PREFIX/bin/silo-shim    the binaries
#   UNITDIR/silod.service                     deploy/silod.service, pointed at them
#   SYSCONFDIR/silod.yaml                     `silod config default` (kept if present)
#   deploy/install-linux.sh [--build DIR] [--prefix DIR] [--sysconfdir DIR] [--unitdir DIR]
# Defaults: build/, /usr/local, /etc/silo, /etc/systemd/system. With any other
# prefix the config and unit default to PREFIX/etc/silo and
# PREFIX/lib/systemd/system, so a trial install stays inside its prefix.
# Then: systemctl daemon-reload && systemctl enable --now silod
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build PREFIX=/usr/local SYSCONFDIR="" UNITDIR=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) BUILD=$2 ;;
    --prefix) PREFIX=$2 ;;
    --sysconfdir) SYSCONFDIR=$2 ;;
    --unitdir) UNITDIR=$2 ;;
    *) echo "usage: $0 [--build DIR] [--prefix DIR] [--sysconfdir DIR] [--unitdir DIR]" >&2; exit 2 ;;
  esac
  shift 2
done
if [[ $PREFIX == /usr/local || $PREFIX == /usr ]]; then
  SYSCONFDIR=${SYSCONFDIR:-/etc/silo} UNITDIR=${UNITDIR:-/etc/systemd/system}
else
  SYSCONFDIR=${SYSCONFDIR:-$PREFIX/etc/silo} UNITDIR=${UNITDIR:-$PREFIX/lib/systemd/system}
fi
SILOD=$BUILD/cri/daemon/silod SHIM=$BUILD/runtime/shim/silo-shim
for f in "$SILOD" "$SHIM"; do
  [[ -x $f ]] || { echo "install-linux: $f missing (cmake --build $BUILD --target silod silo-shim)" >&2; exit 1; }
done

install -d -m 0755 "$PREFIX/bin" "$UNITDIR"
install -d -m 0700 "$SYSCONFDIR"  # the config may name registry credentials
install -m 0755 "$SILOD" "$PREFIX/bin/silod"
install -m 0755 "$SHIM" "$PREFIX/bin/silo-shim"
if [[ ! -e $SYSCONFDIR/silod.yaml ]]; then
  "$PREFIX/bin/silod" config default > "$SYSCONFDIR/silod.yaml.tmp"
  chmod 0600 "$SYSCONFDIR/silod.yaml.tmp"
  mv "$SYSCONFDIR/silod.yaml.tmp" "$SYSCONFDIR/silod.yaml"
fi
# silod finds silo-shim on PATH when it is not beside its build tree.
sed -e "s|^ExecStart=.*|ExecStart=$PREFIX/bin/silod --config $SYSCONFDIR/silod.yaml|" \
    -e "s|^\[Service\]$|[Service]\nEnvironment=PATH=$PREFIX/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|" \
    "$SRC/deploy/silod.service" > "$UNITDIR/silod.service.tmp"
chmod 0644 "$UNITDIR/silod.service.tmp"
mv "$UNITDIR/silod.service.tmp" "$UNITDIR/silod.service"
echo "installed: $PREFIX/bin/silod $PREFIX/bin/silo-shim $UNITDIR/silod.service $SYSCONFDIR/silod.yaml"
