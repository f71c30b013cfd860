#!/usr/bin/env bash
# check_imports.sh accepts the statically linked test executables of the
# cross build and refuses two made-up ones: one that needs libstdc++'s DLL
# (linked without -static) and one that imports computecore.dll.
#   tests/windows/check_imports_test.sh [MINGW_BUILD_DIR]
# Exit codes: 0 passed, 1 failed, 77 no cross build or compiler (skipped).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-${here}/../../build-mingw}"
cxx=x86_64-w64-mingw32-g++-posix
command -v "$cxx" >/dev/null || { echo "check_imports_test: $cxx not installed"; exit 77; }
mapfile -t exes < <(find "$build" -name '*.exe' -not -path '*/CMakeFiles/*' 2>/dev/null | sort)
[[ ${#exes[@]} -gt 0 ]] || { echo "check_imports_test: no executables under $build (deploy/build-windows.sh)"; exit 77; }

work="$(mktemp -d /tmp/silo-check-imports-XXXXXX)"
trap 'rm -rf "$work"' EXIT
failed=0

if "$here/check_imports.sh" "${exes[@]}" >"$work/good.out"; then
  echo "ok: ${#exes[@]} cross-built executables import System32 DLLs only"
else
  cat "$work/good.out"; echo "FAILED: the cross build's executables"; failed=1
fi

# expect_refused NAME EXE WANTED-LINE: check_imports.sh fails on EXE saying WANTED-LINE.
expect_refused() {
  if "$here/check_imports.sh" "$2" >"$work/$1.out"; then
    echo "FAILED: $1 passed"; cat "$work/$1.out"; failed=1
  elif grep -qF "$3" "$work/$1.out"; then
    echo "ok: $1 is refused"
  else
    echo "FAILED: $1: unexpected output"; cat "$work/$1.out"; failed=1
  fi
}

printf '#include <string>\n#include <cstdio>\nint main(int c, char**) { std::string s(c, 0x41); std::puts(s.c_str()); }\n' >"$work/dyn.cc"
"$cxx" -O1 -o "$work/dyn.exe" "$work/dyn.cc"
expect_refused "an exe needing libstdc++-6.dll" "$work/dyn.exe" 'libstdc++-6.dll: not in System32'

printf '#include <windows.h>\n#include <computecore.h>\nint main() { HcsCloseOperation(nullptr); }\n' >"$work/hcs.cc"
"$cxx" -O1 -static -o "$work/hcs.exe" "$work/hcs.cc" -lcomputecore
expect_refused "an exe importing computecore.dll" "$work/hcs.exe" 'computecore.dll: only present with the Containers feature'
expect_refused "a text file" "$work/dyn.cc" 'not an x86-64 Windows executable'
exit $failed
