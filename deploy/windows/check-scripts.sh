#!/usr/bin/env bash
# Syntax-checks deploy/windows/*.ps1 without PowerShell: the tree-sitter
# PowerShell grammar from npm, run by node (check-powershell.mjs). The npm
# packages are pinned and cached under ~/.cache/silo-npm.
# Exit codes: 0 clean, 1 syntax errors, 77 no node/npm (ctest: skipped).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "check-scripts: node and npm are needed (apt-get install nodejs npm)"
  exit 77
fi
cache="${SILO_NPM_CACHE:-$HOME/.cache/silo-npm}/powershell-check"
wasm="$cache/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm"
if [[ ! -f "$wasm" || ! -d "$cache/node_modules/web-tree-sitter" ]]; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund --ignore-scripts \
    tree-sitter-powershell@0.26.4 web-tree-sitter@0.25.10 >/dev/null
fi
node "$here/check-powershell.mjs" "$cache/node_modules" "$here"/*.ps1
