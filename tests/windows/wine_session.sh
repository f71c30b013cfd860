# Sourced by the tests that drive Windows executables under Wine from Linux
# (bash). One private WINEPREFIX per test, so wineserver, pipes and registry
# are the test's own; everything it started is stopped on exit.
#   source tests/windows/wine_session.sh
#   wine_session_begin                      # or exit 77 when Wine is missing
#   wine_start OUT EXE ARGS...              # background; output to OUT
#   wait_line FILE PATTERN                  # the first matching line, within 60 s
#   start_pipe_client '\\.\pipe\silo'     # 127.0.0.1:$pipe_client_port now reaches the pipe
# Needs the cross build's pipe_loopback_client.exe under $build.

wine=/usr/lib/wine/wine64
wine_pids=()

wine_session_begin() {
  [[ -x "$wine" ]] || { echo "wine64 not installed (apt-get install wine64)"; exit 77; }
  wine_work="$(mktemp -d /tmp/silo-wine-session-XXXXXX)"
  export WINEPREFIX="$wine_work/prefix" WINEDEBUG=-all
  trap wine_session_end EXIT
}

wine_session_end() {
  local p
  for p in "${wine_pids[@]}"; do kill "$p" 2>/dev/null; done
  /usr/lib/wine/wineserver64 -k 2>/dev/null
  rm -rf "$wine_work"
}

wine_start() {
  local out="$1"
  shift
  "$wine" "$@" >"$out" 2>&1 &
  wine_pids+=($!)
}

wait_line() {
  local _
  for _ in $(seq 1 600); do
    if grep -q "$2" "$1" 2>/dev/null; then grep -m1 "$2" "$1" | tr -d '\r'; return 0; fi
    sleep 0.1
  done
  return 1
}

# Starts pipe_loopback_client.exe for pipe $1 (dial timeout $2 ms) and sets
# pipe_client_port (not printed: a $(...) subshell would lose its pid).
start_pipe_client() {
  local exe out line
  exe="$(find "$build" -name pipe_loopback_client.exe -not -path '*/CMakeFiles/*' | head -1)"
  [[ -n "$exe" ]] || { echo "pipe_loopback_client.exe not built under $build" >&2; return 1; }
  out="$wine_work/pipe-client-$RANDOM.out"
  wine_start "$out" "$exe" --pipe "$1" --port 0 --dial-timeout-ms "${2:-20000}"
  line="$(wait_line "$out" 'listening on 127.0.0.1:')" || { cat "$out" >&2; return 1; }
  pipe_client_port="${line##*:}"
}
