#!/usr/bin/env bash
# Checks a zip made by package.sh against what the README promises:
#   deploy/windows/check-package.sh ZIP [SILOD.EXE [SILO-SHIM.EXE]]
# exactly the expected files (silo-shim.exe when given), SHA256SUMS and the
# .zip.sha256 beside it verify, the executables are the given ones and
# import System32 DLLs only, the scripts and config are the repo's, and the
# README names the kubelet and crictl endpoints. Exit 0 ok, 1 a mismatch.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
zip="$1" silod="${2:-}" shim="${3:-}"
work="$(mktemp -d /tmp/silo-check-package-XXXXXX)"
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "check-package: $*"; failed=1; }

[[ -f "$zip" && -f "$zip.sha256" ]] || { echo "check-package: $zip or its .sha256 is missing"; exit 1; }
(cd "$(dirname "$zip")" && sha256sum --quiet -c "$(basename "$zip").sha256") || fail "zip checksum does not verify"
(cd "$work" && cmake -E tar xf "$zip") || { echo "check-package: cannot unpack $zip"; exit 1; }

expected="README.md SHA256SUMS install.ps1 silod.exe silod.yaml uninstall.ps1"
[[ -n "$shim" ]] && expected="README.md SHA256SUMS install.ps1 silo-shim.exe silod.exe silod.yaml uninstall.ps1"
got="$(cd "$work" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
[[ "$got" == "$expected" ]] || fail "contents are '$got', want '$expected'"

(cd "$work" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not verify"
listed="$(cut -d' ' -f3 "$work/SHA256SUMS" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
[[ "$listed" == "${expected/SHA256SUMS /}" ]] || fail "SHA256SUMS lists '$listed'"

[[ -z "$silod" ]] || cmp -s "$silod" "$work/silod.exe" || fail "silod.exe is not $silod"
[[ -z "$shim" ]] || cmp -s "$shim" "$work/silo-shim.exe" || fail "silo-shim.exe is not $shim"
exes=("$work/silod.exe")
[[ -f "$work/silo-shim.exe" ]] && exes+=("$work/silo-shim.exe")
"$root/tests/windows/check_imports.sh" "${exes[@]}" || fail "an executable imports a DLL outside System32"
for f in install.ps1 uninstall.ps1 silod.yaml README.md; do
  cmp -s "$here/$f" "$work/$f" || fail "$f differs from deploy/windows/$f"
done
for text in '--container-runtime-endpoint=npipe:////./pipe/silo' '--image-service-endpoint=npipe:////./pipe/silo' \
            'runtime-endpoint: npipe:////./pipe/silo' 'install.ps1' 'uninstall.ps1'; do
  grep -qF -- "$text" "$work/README.md" || fail "README.md does not mention $text"
done
[[ $failed -eq 0 ]] && echo "check-package: $zip ok"
exit $failed
