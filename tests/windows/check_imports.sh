#!/usr/bin/env bash
# Fails when a Windows executable imports a DLL a node does not have in
# System32, so nothing but the .exe has to be shipped:
#   tests/windows/check_imports.sh EXE...
# Allowed: the DLLs in system32_dlls.txt and api-ms-win-* API sets. The
# container platform's DLLs (computecore, computenetwork, computestorage,
# vmcompute) are in System32 only with the Containers feature: importing
# them would stop silod from starting (and from reporting why) on a host
# without it, so they must be loaded at run time and are refused here.
# Prints each exe's imports. Exit codes: 0 clean, 1 a bad import, 2 usage.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
objdump="${OBJDUMP:-x86_64-w64-mingw32-objdump}"
if [[ $# -eq 0 ]]; then echo "usage: check_imports.sh EXE..." >&2; exit 2; fi
command -v "$objdump" >/dev/null || { echo "check_imports: $objdump not found (apt-get install binutils-mingw-w64-x86-64)" >&2; exit 2; }

mapfile -t allowed < <(grep -v -e '^#' -e '^$' "$here/system32_dlls.txt")
is_allowed() {
  local dll="$1" a
  [[ "$dll" == api-ms-win-* || "$dll" == ext-ms-win-* ]] && return 0
  for a in "${allowed[@]}"; do [[ "$dll" == "$a" ]] && return 0; done
  return 1
}

bad=0
for exe in "$@"; do
  if ! dump="$("$objdump" -p "$exe" 2>&1)" || ! grep -q 'file format pei-x86-64' <<<"$dump"; then
    echo "$exe: not an x86-64 Windows executable"
    bad=1
    continue
  fi
  mapfile -t dlls < <(sed -n 's/^[[:space:]]*DLL Name: //p' <<<"$dump" | tr 'A-Z' 'a-z' | tr -d '\r' | sort -u)
  echo "$(basename "$exe"): ${dlls[*]}"
  for dll in "${dlls[@]}"; do
    case "$dll" in
      computecore.dll|computenetwork.dll|computestorage.dll|vmcompute.dll)
        echo "  $dll: only present with the Containers feature; load it at run time (LoadLibraryExW)"
        bad=1 ;;
      *)
        if ! is_allowed "$dll"; then
          echo "  $dll: not in System32; link it statically"
          bad=1
        fi ;;
    esac
  done
done
exit $bad
