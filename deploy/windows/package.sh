#!/usr/bin/env bash
# Makes the zip a Windows node operator downloads:
#   silo-<version>-windows-amd64.zip
#     silod.exe, silo-shim.exe (when given), install.ps1, uninstall.ps1,
#     silod.yaml (the default config), README.md (install steps, kubelet
#     flags), SHA256SUMS (of every other file, sha256sum format)
# and beside it silo-<version>-windows-amd64.zip.sha256.
#
#   deploy/windows/package.sh --silod PATH [--shim PATH] [--version V] [--out DIR]
# --version defaults to the project version in CMakeLists.txt; --out to the
# current directory. The executables are checked (x86-64 PE, System32
# imports only: tests/windows/check_imports.sh) before anything is written.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

silod="" shim="" version="" out="$PWD"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --silod) silod="$2"; shift 2 ;;
    --shim) shim="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: package.sh --silod PATH [--shim PATH] [--version V] [--out DIR]" >&2; exit 2 ;;
  esac
done
[[ -n "$silod" && -f "$silod" ]] || { echo "package: --silod must name silod.exe" >&2; exit 2; }
[[ -z "$shim" || -f "$shim" ]] || { echo "package: $shim not found" >&2; exit 2; }
if [[ -z "$version" ]]; then
  version="$(sed -n 's/^project(silo VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
fi
[[ "$version" =~ ^[0-9A-Za-z.+-]+$ ]] || { echo "package: bad version '$version'" >&2; exit 2; }

exes=("$silod")
[[ -n "$shim" ]] && exes+=("$shim")
"$root/tests/windows/check_imports.sh" "${exes[@]}" >/dev/null || {
  "$root/tests/windows/check_imports.sh" "${exes[@]}" >&2 || true
  echo "package: refusing executables that need DLLs a node does not have" >&2
  exit 1
}

name="silo-${version}-windows-amd64"
stage="$(mktemp -d /tmp/silo-package-XXXXXX)"
trap 'rm -rf "$stage"' EXIT
cp "$silod" "$stage/silod.exe"
[[ -n "$shim" ]] && cp "$shim" "$stage/silo-shim.exe"
cp "$here/install.ps1" "$here/uninstall.ps1" "$here/silod.yaml" "$here/README.md" "$stage/"
(cd "$stage" && sha256sum -- * >SHA256SUMS)

mkdir -p "$out"
zip="$(cd "$out" && pwd)/${name}.zip"
rm -f "$zip" "$zip.sha256"
# Deterministic entry order; cmake's libarchive writes a plain zip that
# Expand-Archive reads.
(cd "$stage" && mapfile -t files < <(ls | LC_ALL=C sort) && cmake -E tar cf "$zip" --format=zip -- "${files[@]}")
(cd "$(dirname "$zip")" && sha256sum -- "$(basename "$zip")" >"$zip.sha256")
echo "package: $zip ($(stat -c %s "$zip") bytes)"
