#!/usr/bin/env bash
# deploy/windows/package.sh on the cross-built silod.exe and silo-shim.exe
# (test executables stand in where they are not built), checked by
# deploy/windows/check-package.sh; and package.sh must refuse an exe that
# imports a DLL outside System32, writing nothing.
#   tests/windows/package_test.sh [MINGW_BUILD_DIR]
# Exit codes: 0 passed, 1 failed, 77 no cross build (skipped).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-${root}/build-mingw}"
silod="$(find "$build" -name silod.exe -not -path '*/CMakeFiles/*' | head -1)"
# Without silod.exe (a cross build without the dependency prefix), any statically linked test executable will do.
[[ -n "$silod" ]] || silod="$(find "$build" -name os_version_test.exe -not -path '*/CMakeFiles/*' | head -1)"
shim="$(find "$build" -name silo-shim.exe -not -path '*/CMakeFiles/*' | head -1)"
[[ -n "$shim" ]] || shim="$(find "$build" -name event_log_test.exe -not -path '*/CMakeFiles/*' | head -1)"
[[ -n "$silod" && -n "$shim" ]] || { echo "package_test: build $build first (deploy/build-windows.sh)"; exit 77; }

work="$(mktemp -d /tmp/silo-package-test-XXXXXX)"
trap 'rm -rf "$work"' EXIT
failed=0

"$root/deploy/windows/package.sh" --silod "$silod" --shim "$shim" --version 9.8.7 --out "$work/with-shim" || failed=1
"$root/deploy/windows/check-package.sh" "$work/with-shim/silo-9.8.7-windows-amd64.zip" "$silod" "$shim" || failed=1
"$root/deploy/windows/package.sh" --silod "$silod" --out "$work/no-shim" || failed=1
version="$(sed -n 's/^project(silo VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
"$root/deploy/windows/check-package.sh" "$work/no-shim/silo-${version}-windows-amd64.zip" "$silod" || failed=1

# A tampered file fails the check.
cp -r "$work/with-shim" "$work/tampered"
(cd "$work/tampered" && mkdir x && cd x && cmake -E tar xf ../silo-9.8.7-windows-amd64.zip && echo '# changed' >>install.ps1 &&
  cmake -E tar cf ../silo-9.8.7-windows-amd64.zip --format=zip -- * && cd .. && rm -rf x &&
  sha256sum silo-9.8.7-windows-amd64.zip >silo-9.8.7-windows-amd64.zip.sha256)
if "$root/deploy/windows/check-package.sh" "$work/tampered/silo-9.8.7-windows-amd64.zip" "$silod" "$shim" >/dev/null 2>&1; then
  echo "package_test: FAILED: a tampered install.ps1 passed the check"; failed=1
fi

# An executable needing a DLL beside it is refused.
if command -v x86_64-w64-mingw32-g++-posix >/dev/null; then
  printf '#include <string>\n#include <cstdio>\nint main(int c, char**) { std::string s(c, 0x41); std::puts(s.c_str()); }\n' >"$work/dyn.cc"
  x86_64-w64-mingw32-g++-posix -o "$work/dyn.exe" "$work/dyn.cc"
  if "$root/deploy/windows/package.sh" --silod "$work/dyn.exe" --out "$work/bad" 2>/dev/null; then
    echo "package_test: FAILED: a dynamically linked silod.exe was packaged"; failed=1
  fi
  [[ ! -e "$work/bad" ]] || { echo "package_test: FAILED: a refused package left $work/bad"; failed=1; }
fi
[[ $failed -eq 0 ]] && echo "package_test: ok"
exit $failed
