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
  # Until silod serves, the relay finds no pipe and drops the connection.
  # A fresh Wine prefix takes a while to start.
  for _ in $(seq 1 90); do
    timeout 30 "$probe" "127.0.0.1:$pipe_client_port" >/dev/null 2>&1 && break
    sleep 2
  done
  check_status false
  # A network config and its plugin: win-bridge is found as win-bridge.exe.
  printf '{"cniVersion":"0.4.0","name":"nat","type":"win-bridge"}\n' >"$work/cni/conf/10-nat.conf"
  cp "$silod" "$work/cni/bin/win-bridge.exe"
  check_status true
}
silod_pid="${wine_pids[0]}"
kill "$silod_pid" 2>/dev/null
wait "$silod_pid" 2>/dev/null
/usr/lib/wine/wineserver64 -k 2>/dev/null
grep -qi 'error\|critical' "$work/silod.out" && { echo "--- silod output"; cat "$work/silod.out"; }

# 3. The service. Wine has no hns or vmcompute, which silo depends on:
# stand-ins run windows_service_test.exe's service body under those names.
# Wine's service manager does not start dependencies itself (Windows does),
# so the test starts them; that silo names them is read from the registry.
svc_test="$(find "$build" -name windows_service_test.exe -not -path '*/CMakeFiles/*' | head -1)"
if [[ -z "$svc_test" ]]; then
  fail "windows_service_test.exe not built under $build (the service stand-ins)"
else
  sc() { timeout 120 "$wine" sc.exe "$@" 2>&1 | tr -d '\r'; }
  state() { sc query "$1" | awk '/STATE/ {print $4}'; }
  wait_state() {
    local _
    for _ in $(seq 1 300); do [[ "$(state "$1")" == "$2" ]] && return 0; sleep 0.2; done
    return 1
  }
  mkdir -p "$work/standins"
  for dep in hns vmcompute; do
    sc create "$dep" binPath= "$(win "$svc_test") --run-service $dep $(win "$work/standins")" >/dev/null
  done
  name="silo-wine-service-$$-$RANDOM"
  pipe='\\.\pipe\'"$name"
  sed -e "s|^listen:.*|listen: npipe://./pipe/$name|" -e "s|^root:.*|root: $(win "$work/svc-root")|" \
    -e "s|^state:.*|state: $(win "$work/svc-state")|" -e "s|^  file:.*|  file: $(win "$work/svc-logs/silod.log")|" \
    "$work/silod.yaml" >"$work/svc.yaml"
  timeout 120 "$wine" "$silod" --register-service --config "$(win "$work/svc.yaml")" >"$work/register.out" 2>&1 ||
    { cat "$work/register.out"; fail "--register-service"; }
  cat "$work/register.out"
  [[ "$(state silo)" == STOPPED ]] || fail "registered service state: $(state silo)"
  deps="$(timeout 60 "$wine" reg.exe query 'HKLM\System\CurrentControlSet\Services\silo' /v DependOnService 2>&1 | tr -d '\r')"
  [[ "$deps" == *"hns\0vmcompute"* ]] && echo "ok: silo depends on hns and vmcompute" || fail "dependencies: $deps"
  for dep in hns vmcompute; do sc start "$dep" >/dev/null; wait_state "$dep" RUNNING || fail "stand-in $dep not RUNNING"; done
  sc start silo >"$work/start.out"
  wait_state silo RUNNING && echo "ok: service RUNNING" || { cat "$work/start.out"; fail "service not RUNNING: $(state silo)"; }
  # RUNNING is reported once silod serves: the first call through the
  # pipe, made at once, is answered (before that the relay drops it).
  if wait_pipe_client; then
    check_status true
  fi
  sc stop silo >/dev/null
  wait_state silo STOPPED && echo "ok: service STOPPED" || fail "service did not stop: $(state silo)"
  exit_code="$(sc query silo | awk '/WIN32_EXIT_CODE/ {print $3}')"
  [[ "$exit_code" == 0 ]] || fail "service exit code $exit_code"
  grep -q 'service stop requested' "$work/svc-logs/silod.log" || fail "the log has no clean stop"
  timeout 120 "$wine" "$silod" --unregister-service >"$work/unregister.out" 2>&1 || { cat "$work/unregister.out"; fail "--unregister-service"; }
  sc query silo | grep -q 'STATE' && fail "service still registered after --unregister-service" || echo "ok: service unregistered"
  for dep in hns vmcompute; do sc stop "$dep" >/dev/null; sc delete "$dep" >/dev/null; done
fi

[[ $failed -eq 0 ]] && echo "silod_wine_test: ok"
exit $failed
