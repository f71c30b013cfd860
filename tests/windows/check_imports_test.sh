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

printf '#include <string>\n#include <cstdio>\nint main(int c, char**) { std::string s(c, 0x41); std::puts(s.c_str()); }\n' >"$work/dyn.cc"
"$cxx" -O1 -o "$work/dyn.exe" "$work/dyn.cc"
if "$here/check_imports.sh" "$work/dyn.exe" >"$work/dyn.out"; then
  echo "FAILED: a dynamically linked exe passed"; cat "$work/dyn.out"; failed=1
elif grep -q 'libstdc++-6.dll: not in System32' "$work/dyn.out"; then
  echo "ok: libstdc++-6.dll is refused"
else
  echo "FAILED: unexpected output"; cat "$work/dyn.out"; failed=1
fi

printf '#include <windows.h>\n#include <computecore.h>\nint main() { HcsCloseOperation(nullptr); }\n' >"$work/hcs.cc"
"$cxx" -O1 -static -o "$work/hcs.exe" "$work/hcs.cc" -lcomputecore
if "$here/check_imports.sh" "$work/hcs.exe" >"$work/hcs.out"; then
  echo "FAILED: an exe importing computecore.dll passed"; cat "$work/hcs.out"; failed=1
elif grep -q 'computecore.dll: only present with the Containers feature' "$work/hcs.out"; then
  echo "ok: computecore.dll is refused as an import"
else
  echo "FAILED: unexpected output"; cat "$work/hcs.out"; failed=1
fi

if "$here/check_imports.sh" "$work/dyn.cc" >"$work/text.out"; then
  echo "FAILED: a text file passed"; failed=1
else
  echo "ok: a non-executable is refused"
fi
exit $failed
