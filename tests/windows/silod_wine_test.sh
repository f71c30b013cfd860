#!/usr/bin/env bash
# silod.exe under Wine, as kubelet reaches it: over its named pipe.
#   1. The shipped config (deploy/windows/silod.yaml, what install.ps1
#      writes) loads, with its paths moved to a temporary root.
#   2. silod.exe serves \\.\pipe\<unique>; through pipe_loopback_client.exe
#      the Linux CRI client (cri_status_probe) gets Version and a truthful
#      Status: RuntimeReady=false naming what Wine lacks (computecore.dll ...),
#      NetworkReady=false without a CNI config, then true once a config and
#      its plugin (win-bridge, found as win-bridge.exe) are in place.
#   3. The service: --register-service, started by Wine's service manager,
#      RUNNING, answers over the pipe, stops, --unregister-service removes it.
#   tests/windows/silod_wine_test.sh MINGW_BUILD_DIR CRI_STATUS_PROBE
# Exit codes: 0 passed, 1 failed, 77 no Wine or no silod.exe (skipped).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-${root}/build-mingw}"
probe="${2:-}"
source "$root/tests/windows/wine_session.sh"
silod="$(find "$build" -name silod.exe -not -path '*/CMakeFiles/*' | head -1)"
[[ -n "$silod" ]] || { echo "silod_wine_test: no silod.exe under $build (deploy/build-windows.sh)"; exit 77; }
[[ -x "$probe" ]] || { echo "silod_wine_test: cri_status_probe not built"; exit 77; }
wine_session_begin
work="$wine_work"
failed=0
fail() { echo "FAILED: $*"; failed=1; }
win() { echo "Z:$1"; }  # Wine's Z: drive is the Linux root

# 1. The shipped config with its paths under $work.
name="silo-wine-test-$$-$RANDOM"
pipe='\\.\pipe\'"$name"
mkdir -p "$work/cni/bin" "$work/cni/conf"
sed -e "s|^root:.*|root: $(win "$work/root")|" -e "s|^state:.*|state: $(win "$work/state")|" \
  -e "s|^listen:.*|listen: npipe://./pipe/$name|" -e "s|^  file:.*|  file: $(win "$work/logs/silod.log")|" \
  -e "s|^  bin_dirs:.*|  bin_dirs: ['$(win "$work/cni/bin")']|" -e "s|^  conf_dir:.*|  conf_dir: $(win "$work/cni/conf")|" \
  -e "s|^  enabled: true|  enabled: false|" "$root/deploy/windows/silod.yaml" >"$work/silod.yaml"
grep -q "^listen: npipe://./pipe/$name" "$work/silod.yaml" || fail "config rewrite missed listen"

# Status through the pipe; $1 = expected NetworkReady.
check_status() {
  local out="$work/probe-$RANDOM.out"
  timeout 90 "$probe" "127.0.0.1:$pipe_client_port" >"$out" 2>&1 || { cat "$out"; fail "probe failed"; return; }
  cat "$out"
  grep -q '^version silo ' "$out" || fail "Version: $(head -1 "$out")"
  grep -q '^condition RuntimeReady false RuntimeNotReady .*computecore.dll' "$out" ||
    fail "RuntimeReady must be false naming computecore.dll"
  grep -q "^condition NetworkReady $1 " "$out" || fail "NetworkReady must be $1"
  grep -q '^handler runhcs-wcow-process$' "$out" || fail "handler runhcs-wcow-process not listed"
}

wait_pipe_client() {
  start_pipe_client "$pipe" 60000 || { fail "relay did not start"; return 1; }
}

# 2. Console daemon.
wine_start "$work/silod.out" "$silod" --config "$(win "$work/silod.yaml")"
wait_pipe_client && {
  check_status false
  # A network config and its plugin: win-bridge is found as win-bridge.exe.
  printf '{"cniVersion":"0.4.0","name":"nat","type":"win-bridge"}\n' >"$work/cni/conf/10-nat.conf"
  cp "$silod" "$work/cni/bin/win-bridge.exe"
  check_status true
  grep -q 'NetworkReady true' "$work"/probe-*.out || true
}
silod_pid="${wine_pids[0]}"
kill "$silod_pid" 2>/dev/null
wait "$silod_pid" 2>/dev/null
/usr/lib/wine/wineserver64 -k 2>/dev/null
grep -qi 'error\|critical' "$work/silod.out" && { echo "--- silod output"; cat "$work/silod.out"; }

[[ $failed -eq 0 ]] && echo "silod_wine_test: ok"
exit $failed
