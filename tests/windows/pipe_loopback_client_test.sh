#!/usr/bin/env bash
# pipe_loopback_client.exe under Wine, reached from Linux over loopback TCP,
# relaying to pipe_echo_server.exe's named pipe:
#   1. a megabyte of random bytes comes back unchanged;
#   2. with the pipe's only instance taken, a second client waits (the
#      dialer's WaitNamedPipeW path) and is served once the first leaves;
#   3. a pipe that does not exist closes the TCP connection at once.
#   tests/windows/pipe_loopback_client_test.sh [MINGW_BUILD_DIR]
# Exit codes: 0 passed, 1 failed, 77 no Wine or no cross build (skipped).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-${root}/build-mingw}"
source "$root/tests/windows/wine_session.sh"
echo_exe="$(find "$build" -name pipe_echo_server.exe -not -path '*/CMakeFiles/*' | head -1)"
[[ -n "$echo_exe" ]] || { echo "pipe_loopback_client_test: build $build first (deploy/build-windows.sh)"; exit 77; }
wine_session_begin
work="$wine_work"
failed=0
fail() { echo "FAILED: $*"; failed=1; }

pipe='\\.\pipe\silo-loopback-test-'$$
wine_start "$work/echo.out" "$echo_exe" "$pipe" 1
wait_line "$work/echo.out" ready >/dev/null || { cat "$work/echo.out"; echo "echo server did not start"; exit 1; }
start_pipe_client "$pipe" || { echo "relay did not start"; exit 1; }
port="$pipe_client_port"
echo "relay on 127.0.0.1:$port -> $pipe"

# 1. Round trip.
head -c 1048576 /dev/urandom >"$work/sent"
exec 3<>"/dev/tcp/127.0.0.1/$port"
cat "$work/sent" >&3 &
timeout 60 head -c 1048576 <&3 >"$work/got"
cmp -s "$work/sent" "$work/got" && echo "ok: 1 MiB echoed through the pipe" || fail "echo differs ($(stat -c %s "$work/got") bytes back)"

# 2. Busy pipe: connection 3 holds the only instance.
exec 4<>"/dev/tcp/127.0.0.1/$port"
printf 'second client' >&4
# fd 3 closed in the reader, or it would keep the first connection open.
timeout 60 head -c 13 <&4 3>&- >"$work/second" &
reader=$!
sleep 2
[[ ! -s "$work/second" ]] || fail "second client was served while the only instance was taken"
exec 3>&- 3<&-
wait "$reader"
[[ "$(cat "$work/second")" == "second client" ]] && echo "ok: a busy pipe is waited for" || fail "second client got '$(cat "$work/second")'"
exec 4>&- 4<&-

# 3. No such pipe: the connection closes without data, well before the dial timeout.
start_pipe_client '\\.\pipe\silo-loopback-missing-'$$ 20000 || { echo "relay did not start"; exit 1; }
missing_port="$pipe_client_port"
exec 5<>"/dev/tcp/127.0.0.1/$missing_port"
start=$SECONDS
timeout 10 head -c 1 <&5 >"$work/missing"
rc=$?
exec 5>&- 5<&-
if [[ $rc -eq 0 && ! -s "$work/missing" && $((SECONDS - start)) -lt 10 ]]; then
  echo "ok: a missing pipe closes the connection"
else
  fail "missing pipe: rc=$rc, $(stat -c %s "$work/missing") bytes"
fi

[[ $failed -eq 0 ]] || tail -n 20 "$work"/*.out
exit $failed
