#!/usr/bin/env bash
# Cross-builds silod's libraries for x86_64-w64-mingw32 (static, no tests, no
# docs, no target executables) from Debian 12's own source packages, into a
# prefix keyed by the exact package versions, the patches and these scripts:
#   ${XDG_CACHE_HOME:-~/.cache}/silo-win-deps/<key>
# A complete prefix is reused in seconds; an interrupted run resumes at the
# library it stopped in (stamp files under .../silo-win-deps/work).
#
#   deploy/windows/deps/build-deps.sh                 build (or reuse) and print the prefix
#   deploy/windows/deps/build-deps.sh --print-prefix  print the prefix path only
#
# Use the prefix with the toolchain file:
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-w64.cmake -DSILO_WIN_DEPS_PREFIX=<prefix> ...
# Environment: SILO_BUILD_JOBS (default 2); SILO_WIN_DEPS_STATUS_DIR, when set,
# receives win-deps-prefix (written once Abseil is installed) and
# win-deps-status (the libraries done so far) for builds waiting on them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../../.." && pwd)"
toolchain="${repo}/cmake/toolchain-mingw-w64.cmake"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/silo-win-deps"
jobs="${SILO_BUILD_JOBS:-2}"
triple=x86_64-w64-mingw32

# shellcheck source=deploy/windows/deps/recipes.sh
source "${here}/recipes.sh"

log() { echo "build-deps: $*"; }
die() { echo "build-deps: $*" >&2; exit 1; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
sha() { sha256sum | cut -c1-16; }

mapfile -t libs < <(awk '!/^#/ && NF {print $1}' "${here}/libraries.txt")
declare -A src_pkg bin_pkg uses version
while read -r name src bin deps; do src_pkg[$name]=$src; bin_pkg[$name]=$bin; uses[$name]=${deps//,/ }; done \
  < <(awk '!/^#/ && NF' "${here}/libraries.txt")

# Source package versions: the source of each binary package's candidate (the
# binary lists are present without deb-src entries, so --print-prefix needs no
# network). "Source: grpc (1.51.1-3)" names a binNMU's source version.
resolve_versions() {
  local out
  out="$(apt-cache show --no-all-versions "${bin_pkg[@]}" 2>/dev/null)" || die "apt-cache show failed (run apt-get update)"
  while IFS='|' read -r pkg ver; do
    local n
    for n in "${libs[@]}"; do [[ ${bin_pkg[$n]} == "$pkg" ]] && version[$n]=$ver; done
  done < <(awk '
    /^Package:/ {p=$2; s=""}
    /^Source:/ {if (NF >= 3) {s=$3; gsub(/[()]/, "", s)}}
    /^Version:/ {v=$2}
    /^$/ {if (p != "") print p "|" (s != "" ? s : v); p=""}
    END {if (p != "") print p "|" (s != "" ? s : v)}' <<<"${out}")
  local n use
  for n in "${libs[@]}"; do
    use="${cache_root}/downloads/${src_pkg[$n]}_${version[$n]#*:}.use"
    [[ -f "${use}" ]] && version[$n]="$(cat "${use}")"
  done
  # Boost headers are copied from the installed package: its installed version counts.
  version[boost]="$(dpkg-query -W -f='${Version}' "${bin_pkg[boost]}" 2>/dev/null)" \
    || die "${bin_pkg[boost]} is not installed (deploy/install-deps.sh)"
  for n in "${libs[@]}"; do [[ -n ${version[$n]:-} ]] || die "no candidate version for ${bin_pkg[$n]}"; done
}

# What every library's build depends on besides its own recipe: the toolchain
# file, the compilers, the mingw-w64 runtime and the shared shell functions.
common_inputs() {
  cat "${toolchain}"
  "${triple}-g++-posix" --version | head -1
  dpkg-query -W -f='${Version}\n' mingw-w64-x86-64-dev g++-mingw-w64-x86-64-posix cmake
  declare -f cmake_lib stage_install
}

# A library's key covers its version, patches and recipe, the common inputs
# and the keys of the libraries it is built against: a changed recipe rebuilds
# that library and its users, and keeps every other stage.
declare -A lib_key
compute_keys() {
  local common n d
  common="$(common_inputs | sha)"
  for n in "${libs[@]}"; do
    lib_key[$n]="$({
      echo "${common} ${n} ${src_pkg[$n]} ${version[$n]}"
      for d in ${uses[$n]}; do [[ $d == - ]] || echo "${d} ${lib_key[$d]:?${n} uses ${d}, listed after it}"; done
      declare -f "build_${n//-/_}"
      if [[ -d "${here}/patches/${n}" ]]; then
        (cd "${here}/patches/${n}" && find . -type f -print0 | sort -z | xargs -0r sha256sum)
      fi
      if [[ $n == zlib ]]; then zlib_source; fi
    } | sha)"
  done
  key="$({
    for n in "${libs[@]}"; do echo "${lib_key[$n]}"; done
    cat "${here}/build-deps.sh" "${here}/recipes.sh" "${here}/libraries.txt"
  } | sha)"
  prefix="${cache_root}/${key}"
}

has_deb_src() {
  grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}

# deb-src entries derived from the machine's own Debian entries (same URIs,
# suites, components and keys), so no host name is written anywhere here.
ensure_deb_src() {
  has_deb_src && return 0
  local target=/etc/apt/sources.list.d/silo-debian-src.sources tmp from=()
  tmp="$(mktemp)"
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    awk 'BEGIN {RS=""; ORS="\n\n"}
      /(^|\n)Types:[^\n]*deb([ \t]|\n|$)/ && /debian-archive-keyring|\/debian/ {
        sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' \
      /etc/apt/sources.list.d/debian.sources >>"${tmp}"
    from+=(/etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -f /etc/apt/sources.list ]] && grep -qE '^[[:space:]]*deb[[:space:]].*/debian' /etc/apt/sources.list; then
    # One-line entries become one deb822 stanza each.
    awk '$1 == "deb" && /\/debian/ {
        opts = ""; i = 2
        if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
        uri = $i; suite = $(i + 1); comps = ""
        for (j = i + 2; j <= NF; j++) comps = comps (comps == "" ? "" : " ") $j
        print "Types: deb-src"; print "URIs: " uri; print "Suites: " suite; print "Components: " comps
        if (match(opts, /signed-by=[^ \]]+/)) print "Signed-By: " substr(opts, RSTART + 10, RLENGTH - 10)
        print "" }' /etc/apt/sources.list >>"${tmp}"
    from+=(/etc/apt/sources.list)
  fi
  [[ -s "${tmp}" ]] || { rm -f "${tmp}"; die "no deb-src entries and no Debian entries to derive them from"; }
  as_root install -m 0644 "${tmp}" "${target}"
  rm -f "${tmp}"
  log "no deb-src entries: wrote ${target} from the Debian entries of ${from[*]} (Types: deb-src); running apt-get update"
  as_root apt-get update -q
}

# Status files for builds waiting on the prefix (optional).
status_done=()
report_status() {
  local lib="$1"
  status_done+=("${lib}")
  [[ -n ${SILO_WIN_DEPS_STATUS_DIR:-} ]] || return 0
  echo "done: ${status_done[*]}" >"${SILO_WIN_DEPS_STATUS_DIR}/win-deps-status"
  if [[ ${lib} == absl ]]; then echo "${prefix}" >"${SILO_WIN_DEPS_STATUS_DIR}/win-deps-prefix"; fi
}

# Stage -> prefix: hard links, except text files that name the stage or an
# older prefix (CMake configs, pkg-config files), which are rewritten.
link_stage() {
  local stage="$1" f
  cp -alf "${stage}/." "${prefix}/"
  while IFS= read -r -d '' f; do
    local rel="${f#"${stage}"/}"
    sed -E "s#${stage}#${prefix}#g; s#${build_prefix}#${prefix}#g; s#${cache_root}/[0-9a-f]{16}#${prefix}#g" \
      "${f}" >"${prefix}/${rel}.tmp"
    mv -f "${prefix}/${rel}.tmp" "${prefix}/${rel}"
  done < <(grep -rlZE "${stage}|${build_prefix}|${cache_root}/[0-9a-f]{16}" "${stage}" 2>/dev/null || true)
}

dsc_of() { echo "${cache_root}/downloads/${src_pkg[$1]}_${2#*:}.dsc"; }

# Downloads a library's source package (apt-get source, download only). When
# the candidate's source cannot be downloaded (a mirror that lags its index),
# the newest version that can is used, said on the console and remembered
# (downloads/*.use), so --print-prefix names the same prefix afterwards.
download_source() { # name
  local n="$1" pkg="${src_pkg[$1]}" want="${version[$1]}" v
  local use="${cache_root}/downloads/${pkg}_${want#*:}.use"
  [[ -f "$(dsc_of "${n}" "${want}")" ]] && return 0
  mkdir -p "${cache_root}/downloads"
  for v in "${want}" $(apt-cache showsrc --only-source "${pkg}" | awk '/^Version:/ {print $2}' | sort -rV); do
    if [[ -f "$(dsc_of "${n}" "${v}")" ]] || \
      (cd "${cache_root}/downloads" && apt-get source -q --download-only "${pkg}=${v}" >/dev/null 2>&1); then
      if [[ ${v} != "${want}" ]]; then
        log "${pkg} ${want} cannot be downloaded; using ${v}, the newest source that can"
        echo "${v}" >"${use}"
        version[$n]="${v}"
      fi
      return 0
    fi
  done
  die "apt-get source ${pkg}: no version could be downloaded"
}

needs_source() { [[ ${src_pkg[$1]} != - ]] && [[ $1 != zlib || $(zlib_source) == source ]]; }

extract_source() { # name dir
  local n="$1" dir="$2" dsc
  [[ -f "${dir}/.extracted" ]] && return 0
  rm -rf "${dir}"
  dsc="$(dsc_of "${n}" "${version[$n]}")"
  dpkg-source -x "${dsc}" "${dir}" >/dev/null 2>&1 || die "dpkg-source -x ${dsc} failed"
  if [[ -d "${here}/patches/${n}" ]]; then
    local p
    for p in "${here}/patches/${n}"/*.patch; do
      patch -d "${dir}" -p1 --forward --quiet <"${p}" || die "patch ${p#"${repo}"/} does not apply"
    done
  fi
  touch "${dir}/.extracted"
}

build_library() {
  local n="$1" k="${lib_key[$1]}"
  local work="${cache_root}/work/${n}-${k}"
  local marker="${prefix}/.silo-installed/${n}"
  if [[ -f "${marker}" && $(cat "${marker}") == "${k}" ]]; then report_status "${n}"; return 0; fi
  local start=${SECONDS}
  if [[ ! -f "${work}/.staged" ]]; then
    log "building ${n} ${version[$n]}"
    mkdir -p "${work}"
    rm -rf "${work}/stage"
    src="${work}/src" build="${work}/build" stage="${work}/stage"
    if needs_source "${n}"; then extract_source "${n}" "${src}"; fi
    # A subshell outside any || context, so errexit stops the recipe at its first failure.
    local rc=0
    set +e
    (set -e; "build_${n//-/_}") >"${work}/build.log" 2>&1
    rc=$?
    set -e
    if ((rc != 0)); then
      tail -n 40 "${work}/build.log" >&2
      die "${n} failed; full log: ${work}/build.log"
    fi
    rm -rf "${build}" "${src}"
    touch "${work}/.staged"
    log "${n} built in $((SECONDS - start))s"
  fi
  link_stage "${work}/stage"
  mkdir -p "${prefix}/.silo-installed"
  echo "${k}" >"${marker}"
  report_status "${n}"
}

# Work dirs of keys no longer current (older versions, patches or recipes).
prune_work() {
  local d n keep
  for d in "${cache_root}"/work/*; do
    [[ -d ${d} ]] || continue
    keep=0
    for n in "${libs[@]}"; do [[ ${d##*/} == "${n}-${lib_key[$n]}" ]] && keep=1; done
    ((keep)) || rm -rf "${d}"
  done
}

main() {
  local n
  if [[ ${1:-} == --print-prefix ]]; then
    resolve_versions; compute_keys; echo "${prefix}"; return 0
  fi
  [[ $# -eq 0 ]] || die "usage: $0 [--print-prefix]"
  command -v "${triple}-g++-posix" >/dev/null || die "${triple}-g++-posix missing (deploy/install-deps.sh)"
  mkdir -p "${cache_root}"
  exec 9>"${cache_root}/.lock"
  flock 9
  resolve_versions; compute_keys
  if [[ -f "${prefix}/.silo-complete" ]]; then
    log "reusing ${prefix}"
    for n in "${libs[@]}"; do report_status "${n}"; done
    echo "${prefix}"
    return 0
  fi
  ensure_deb_src
  # apt-get update may have moved a candidate: key the prefix on what is fetched.
  resolve_versions
  for n in "${libs[@]}"; do if needs_source "${n}"; then download_source "${n}"; fi; done
  compute_keys
  mkdir -p "${prefix}"
  log "prefix ${prefix}"
  # Libraries build against the prefix through a fixed path, so their compile
  # lines (and ccache's hits) do not change with the prefix key.
  build_prefix="${cache_root}/building"
  ln -sfn "${prefix}" "${build_prefix}"
  export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/silo-ccache}" CCACHE_BASEDIR="${cache_root}" CCACHE_NOHASHDIR=1
  export PKG_CONFIG_LIBDIR="${build_prefix}/lib/pkgconfig:/usr/${triple}/lib/pkgconfig" PKG_CONFIG_PATH=""
  local total=${SECONDS}
  for n in "${libs[@]}"; do build_library "${n}"; done
  touch "${prefix}/.silo-complete"
  prune_work
  log "all libraries in ${prefix} ($((SECONDS - total))s)"
  echo "${prefix}"
}

main "$@"
exit
