#!/usr/bin/env bash
# Runs the reliability suite from an existing build (builds nothing) and
# prints one table. Needs root, runc, busybox-static and the CNI plugins.
#
#   tests/reliability/run.sh [--build DIR] [--kills N] [--shim-kills N] [--seed N] [--disk-mib N]
#
# Defaults are the full run: 200 silod kills, 20 shim kills, a 64 MiB disk.
# Violations caused by the known bugs of README.md are counted in their own
# row; exit 0 only when every part ran completely with no violation at all.
set -uo pipefail
cd "$(dirname "$0")/../.."

build=build kills=200 shim_kills=20 seed="" disk_mib=64
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --kills) kills=$2; shift 2 ;;
    --shim-kills) shim_kills=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --disk-mib) disk_mib=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--kills N] [--shim-kills N] [--seed N] [--disk-mib N]" >&2; exit 2 ;;
  esac
done
crash_bin=$build/tests/reliability/silo_reliability_crash
disk_bin=$build/tests/reliability/silo_reliability_disk_full
for b in "$crash_bin" "$disk_bin"; do
  [ -x "$b" ] || { echo "missing $b: build the project first (cmake --build $build)" >&2; exit 2; }
done

logs=$(mktemp -d /tmp/silo-reliability-XXXXXX)
crash_args=(--kills="$kills" --shim-kills="$shim_kills" --tolerate-known-bugs)
[ -n "$seed" ] && crash_args+=(--seed="$seed")

echo "== crash consistency ($kills silod kills, $shim_kills shim kills); log: $logs/crash.log"
"$crash_bin" "${crash_args[@]}" 2>&1 | tee "$logs/crash.log" | grep -E '^(silo_reliability_crash|progress|VIOLATION|KNOWN-BUG|RESULT)' | cut -c1-240
crash_rc=${PIPESTATUS[0]}
echo "== disk full ($disk_mib MiB tmpfs root); log: $logs/disk_full.log"
"$disk_bin" --size-mib="$disk_mib" --tolerate-known-bugs 2>&1 | tee "$logs/disk_full.log" | grep -E '^(CHECK|RESULT|SKIP)' | cut -c1-240
disk_rc=${PIPESTATUS[0]}

field() {  # field FILE KEY: value of KEY=... on the RESULT line
  grep '^RESULT' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}
crash=$logs/crash.log disk=$logs/disk_full.log
printf '\n%-34s %s\n' "metric" "value"
printf '%-34s %s\n' "seed" "$(field "$crash" seed)"
printf '%-34s %s\n' "silod kills survived" "$(field "$crash" kills)"
printf '%-34s %s\n' "invariant violations (must be 0)" "$(field "$crash" violations)"
printf '%-34s %s\n' "known-bug violations (README.md)" "$(field "$crash" known_bugs)"
printf '%-34s %s\n' "shim kills" "$(field "$crash" shim_kills)"
printf '%-34s %s\n' "CRI calls acked / failed" "$(field "$crash" acked) / $(field "$crash" failed)"
printf '%-34s %s\n' "exec calls / image churns" "$(field "$crash" execs) / $(field "$crash" image_churns)"
printf '%-34s %s\n' "orphans collected after kills" "$(field "$crash" orphans)"
printf '%-34s %s\n' "crash run seconds" "$(field "$crash" seconds)"
printf '%-34s %s\n' "disk-full checks passed" "$(field "$disk" checks_passed) (+ $(field "$disk" known_bugs) known-bug failures)"

# Known bugs are tolerated by the drivers' exit codes but not by this script.
known=$(( $(field "$crash" known_bugs) + $(field "$disk" known_bugs) ))
[ "$crash_rc" -eq 0 ] && [ "$disk_rc" -eq 0 ] && [ "$known" -eq 0 ] && rm -rf "$logs"
[ "$crash_rc" -eq 0 ] && [ "$disk_rc" -eq 0 ] && [ "$known" -eq 0 ]
