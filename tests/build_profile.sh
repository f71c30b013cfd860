#!/usr/bin/env bash
# Where the build's time goes: a cold build (empty ccache, fresh build dirs
# under a temp dir) of the stages the README commands run, then
#   - wall time per stage,
#   - the 30 most expensive translation units (from each stage's .ninja_log),
#   - the 30 most expensive project headers: the time to parse a header alone
#     (g++ -fsyntax-only, its own includes counted) times the number of objects
#     that include it (ninja's dependency log). A proxy, but one that points at
#     what to cut: a header that is cheap alone or included by few objects is
#     not worth a change.
#   tests/build_profile.sh [--stages "silod plain asan tsan mingw"] [--no-headers] [--keep]
# Runs on the same machine kind as CI; compare numbers measured here with each
# other, not with numbers from another machine.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD

stages="silod plain asan tsan mingw"
headers=1
keep=0
while (($#)); do
  case "$1" in
    --stages) stages="$2"; shift 2 ;;
    --no-headers) headers=0; shift ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--stages \"silod plain asan tsan mingw\"] [--no-headers] [--keep]" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d /tmp/silo-build-profile.XXXXXX)
((keep)) || trap 'rm -rf "$work"' EXIT
export CCACHE_DIR="$work/ccache" CCACHE_BASEDIR="$src" CCACHE_NOHASHDIR=1
mkdir -p "$CCACHE_DIR"
report="$work/report.txt"
: > "$report"

now() { date +%s.%N; }
stage_time() {  # stage_time NAME SECONDS
  printf '%-8s %8.1f s\n' "$1" "$2" | tee -a "$work/stages.txt"
}

run_stage() {  # run_stage NAME -> builds into $work/<dir>
  local t0 t1
  t0=$(now)
  case "$1" in
    silod)
      cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSILO_FAILPOINTS=OFF -DSILO_UNITY_BUILD=ON >/dev/null
      cmake --build "$work/build" --target silod ;;
    plain)
      # The test command's plain stage (tests/run.sh): same flags as its build.
      cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSILO_FAILPOINTS=ON -DSILO_UNITY_BUILD=ON >/dev/null
      cmake --build "$work/build" --target silo_plain_stage ;;
    asan|tsan)
      SILO_BUILD_ROOT="$work" "$src/tests/sanitize.sh" --build-only "$1" ;;
    mingw)
      "$src/deploy/build-windows.sh" "$work/build-mingw" ;;
    *) echo "unknown stage $1" >&2; exit 2 ;;
  esac > "$work/$1.log" 2>&1 || { echo "stage $1 failed, see $work/$1.log" >&2; keep=1; exit 1; }
  t1=$(now)
  stage_time "$1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')"
}

echo "build profile: cold build in $work on $(nproc) cores" | tee -a "$report"
for s in $stages; do run_stage "$s"; done

{
  echo
  echo "== wall time per stage"
  cat "$work/stages.txt"
  echo
  echo "== 30 slowest translation units (seconds, stage)"
  for log in "$work"/build*/.ninja_log; do
    [ -f "$log" ] || continue
    d=$(basename "$(dirname "$log")")
    awk -v d="$d" -F'\t' 'NR>1 && $4 ~ /\.o$/ {printf "%7.1f  %-10s %s\n", ($2-$1)/1000, d, $4}' "$log"
  done | sort -rn | head -30
  echo
  echo "== compile seconds summed per build dir (objects / seconds)"
  for log in "$work"/build*/.ninja_log; do
    [ -f "$log" ] || continue
    awk -v d="$(basename "$(dirname "$log")")" -F'\t' 'NR>1 && $4 ~ /\.o$/ {n++; s+=($2-$1)/1000}
      END {printf "%-12s %5d objects %8.0f s\n", d, n, s}' "$log"
  done
} | tee -a "$report"

if ((headers)) && [ -f "$work/build/build.ninja" ]; then
  # Inclusion counts from ninja's dependency log, for headers of this project
  # and the generated CRI code.
  ninja -C "$work/build" -t deps 2>/dev/null |
    awk -v s="$src/" -v b="$work/build/" '/^    / {f=$1; if (index(f, s)==1 || index(f, b)==1) n[f]++}
      END {for (f in n) if (n[f] >= 5) print n[f], f}' | sort -rn > "$work/header_counts.txt"
  flags="-std=c++20 -O2 -g -I$src -I$work/build/generated -I$work/build/cri/api/gen -I/usr/include/x86_64-linux-gnu"
  : > "$work/header_costs.txt"
  while read -r count file; do
    t0=$(now)
    g++ $flags -fsyntax-only -x c++ "$file" 2>/dev/null || continue
    t1=$(now)
    echo "$count $file $(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" >> "$work/header_costs.txt"
  done < "$work/header_counts.txt"
  {
    echo
    echo "== 30 costliest headers (parse alone x objects including it = seconds; parse s; objects)"
    awk '{printf "%8.0f  %5.2f  %4d  %s\n", $1*$3, $3, $1, $2}' "$work/header_costs.txt" |
      sed "s#$src/##; s#$work/build/#<build>/#" | sort -rn | head -30
  } | tee -a "$report"
fi
((keep)) && echo "report: $report"
