#!/usr/bin/env bash
# deploy/install-linux.sh into a temporary prefix, then `systemd-analyze
# verify` on the installed unit: it parses the unit and checks that ExecStart
# names an executable, so it fails when the install is incomplete (proved
# below by removing the binary). systemd need not run as PID 1 for verify.
#   install_linux_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
SRC=$1 BUILD=$2
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
T=$(mktemp -d /tmp/silo-install-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$SRC/deploy/install-linux.sh" --build "$BUILD" --prefix "$T/opt/silo"
unit=$T/opt/silo/lib/systemd/system/silod.service conf=$T/opt/silo/etc/silo/silod.yaml
for f in "$T/opt/silo/bin/silod" "$T/opt/silo/bin/silo-shim"; do [[ -x $f ]] || fail "$f not installed"; done
[[ -f $unit ]] || fail "no unit"
[[ -f $conf ]] || fail "no config"
grep -qx "ExecStart=$T/opt/silo/bin/silod --config $conf" "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
grep -q "^Environment=PATH=$T/opt/silo/bin:" "$unit" || fail "silo-shim not on the unit's PATH"
# The default config loads: silod refuses an unknown key or bad value at start.
"$T/opt/silo/bin/silod" config default | cmp -s - "$conf" || fail "config differs from silod config default"

out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $out"
# Only notes about units outside our tree (kubelet.service) are acceptable.
if grep -v 'kubelet.service' <<<"$out" | grep -q 'silod.service'; then fail "verify warned: $out"; fi

# Re-running keeps an operator's edited config.
echo "# edited" >> "$conf"
"$SRC/deploy/install-linux.sh" --build "$BUILD" --prefix "$T/opt/silo" >/dev/null
grep -q "# edited" "$conf" || fail "re-install overwrote the config"

# The check can fail: without the binary, verify refuses the unit.
rm "$T/opt/silo/bin/silod"
if systemd-analyze verify "$unit" >/dev/null 2>&1; then fail "verify passed without silod installed"; fi
echo "PASS"
