#!/usr/bin/env bash
# Runs the reliability suite from an existing build (builds nothing) and
# prints one table. Needs root, runc, busybox-static and the CNI plugins, and a
# build configured with -DSILO_FAILPOINTS=ON (tests/run.sh makes one) for the
# fault walk.
#
#   tests/reliability/run.sh [--build DIR] [--kills N] [--shim-kills N] [--seed N] [--disk-mib N]
#                            [--fuzz-seconds S] [--load-pods N] [--load-clients N] [--load-seconds S]
#
# Defaults are the full run: 200 silod kills, 20 shim kills, a 64 MiB disk,
# every failpoint of RunPodSandbox/CreateContainer/StartContainer/PullImage,
# 60 s per fuzz target, and 50 clients against 100 pods for 300 s.
# Exit 0 only when every part ran completely with no violation at all.
set -uo pipefail
cd "$(dirname "$0")/../.."

build=build kills=200 shim_kills=20 seed="" disk_mib=64 fuzz_seconds=60
load_pods=100 load_clients=50 load_seconds=300
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --kills) kills=$2; shift 2 ;;
    --shim-kills) shim_kills=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --disk-mib) disk_mib=$2; shift 2 ;;
    --fuzz-seconds) fuzz_seconds=$2; shift 2 ;;
    --load-pods) load_pods=$2; shift 2 ;;
    --load-clients) load_clients=$2; shift 2 ;;
    --load-seconds) load_seconds=$2; shift 2 ;;
    *) sed -n '8,9p' "$0" >&2; exit 2 ;;
  esac
done
crash_bin=$build/tests/reliability/silo_reliability_crash
disk_bin=$build/tests/reliability/silo_reliability_disk_full
faults_bin=$build/tests/reliability/silo_reliability_faults
load_bin=$build/tests/reliability/silo_reliability_load
for b in "$crash_bin" "$disk_bin" "$faults_bin" "$load_bin"; do
  [ -x "$b" ] || { echo "missing $b: build the project first (cmake --build $build)" >&2; exit 2; }
done

logs=$(mktemp -d /tmp/silo-reliability-XXXXXX)
crash_args=(--kills="$kills" --shim-kills="$shim_kills")
[ -n "$seed" ] && crash_args+=(--seed="$seed")

echo "== crash consistency ($kills silod kills, $shim_kills shim kills); log: $logs/crash.log"
"$crash_bin" "${crash_args[@]}" 2>&1 | tee "$logs/crash.log" | grep -E '^(silo_reliability_crash|progress|VIOLATION|RESULT)' | cut -c1-240
crash_rc=${PIPESTATUS[0]}
echo "== disk full ($disk_mib MiB tmpfs root); log: $logs/disk_full.log"
"$disk_bin" --size-mib="$disk_mib" 2>&1 | tee "$logs/disk_full.log" | grep -E '^(CHECK|RESULT|SKIP)' | cut -c1-240
disk_rc=${PIPESTATUS[0]}
echo "== fault injection (every failpoint, error and hang); log: $logs/faults.log"
"$faults_bin" 2>&1 | tee "$logs/faults.log" | grep -E '^(FAULT|RESULT|SKIP)' | cut -c1-240
faults_rc=${PIPESTATUS[0]}
echo "== fuzzing ($fuzz_seconds s per target); log: $logs/fuzz.log"
fuzz_rc=0
while read -r driver; do
  target=$(basename "$driver" _fuzz_driver)
  corpus=tests/fuzz/corpus/$target
  [ -d "$corpus" ] || { echo "no corpus for $target" | tee -a "$logs/fuzz.log"; fuzz_rc=1; continue; }
  "$driver" 1000000000 --max-seconds "$fuzz_seconds" "$corpus" >>"$logs/fuzz.log" 2>&1 || fuzz_rc=1
  tail -1 "$logs/fuzz.log"
done < <(find "$build" -name '*_fuzz_driver' -type f -perm -u+x | sort)
echo "== load ($load_clients clients, $load_pods pods, $load_seconds s); log: $logs/load.log"
"$load_bin" --clients="$load_clients" --pods="$load_pods" --seconds="$load_seconds" 2>&1 | tee "$logs/load.log" |
  grep -E '^(RESULT|DEADLOCK|UNEXPECTED|FAILURE|SKIP)' | cut -c1-240
load_rc=${PIPESTATUS[0]}

field() {  # field FILE KEY: value of KEY=... on the RESULT line
  grep '^RESULT' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}
crash=$logs/crash.log disk=$logs/disk_full.log faults=$logs/faults.log load=$logs/load.log
printf '\n%-36s %s\n' "metric" "value"
printf '%-36s %s\n' "seed" "$(field "$crash" seed)"
printf '%-36s %s\n' "silod kills survived" "$(field "$crash" kills)"
printf '%-36s %s\n' "invariant violations (must be 0)" "$(field "$crash" violations)"
printf '%-36s %s\n' "shim kills" "$(field "$crash" shim_kills)"
printf '%-36s %s\n' "CRI calls acked / failed" "$(field "$crash" acked) / $(field "$crash" failed)"
printf '%-36s %s\n' "exec calls / image churns" "$(field "$crash" execs) / $(field "$crash" image_churns)"
printf '%-36s %s\n' "orphans collected after kills" "$(field "$crash" orphans)"
printf '%-36s %s\n' "crash run seconds" "$(field "$crash" seconds)"
printf '%-36s %s\n' "disk-full checks passed" "$(field "$disk" checks_passed)"
printf '%-36s %s\n' "faults injected (points)" "$(field "$faults" injected) ($(field "$faults" points))"
printf '%-36s %s\n' "fault violations (must be 0)" "$(field "$faults" violations)"
grep '^FUZZ ' "$logs/fuzz.log" | while read -r _ target execs secs; do
  printf '%-36s %s in %s s\n' "fuzz $target" "${execs#execs=}" "${secs#seconds=}"
done
printf '%-36s %s\n' "load requests / errors / unexpected" \
  "$(field "$load" requests) / $(field "$load" errors) / $(field "$load" unexpected)"
printf '%-36s %s\n' "load calls stuck > 30 s" "$(field "$load" deadlocks)"
printf '%-36s %s\n' "silod RSS start / end / max (MiB)" \
  "$(field "$load" rss_start_mib) / $(field "$load" rss_end_mib) / $(field "$load" rss_max_mib)"
printf '%-36s %s\n' "silod RSS growth after warm-up (MiB)" "$(field "$load" rss_growth_mib)"

ok=1
for rc in "$crash_rc" "$disk_rc" "$faults_rc" "$fuzz_rc" "$load_rc"; do [ "$rc" -eq 0 ] || ok=0; done
[ "$ok" -eq 1 ] && rm -rf "$logs"
[ "$ok" -eq 1 ]
