#!/usr/bin/env bash
# The portable folders include no platform-only header: in cri/ (outside
# *_linux.cc, *_win32.cc and wiring_*) no Linux-only header, and
# runtime/container, runtime/sandbox and runtime/stats hold no Linux- or
# Windows-only file at all. Prints each offence; exits 1 if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
linux_only='#include[[:space:]]*<(sys/eventfd\.h|termios\.h|sys/epoll\.h|sched\.h|sys/mount\.h|linux/[^>]*|sys/prctl\.h|sys/signalfd\.h|pty\.h)>'
windows_only='#include[[:space:]]*<(windows\.h|winternl\.h|winioctl\.h|computecore\.h|computenetwork\.h)>'
bad=0
while IFS= read -r f; do
  case "$f" in *_linux.cc|*_linux.h|*_win32.cc|*_win32.h|*/wiring_*) continue ;; esac
  if grep -EHn "$linux_only" "$f"; then bad=1; fi
done < <(git ls-files 'cri/*.cc' 'cri/*.h')
while IFS= read -r f; do
  if grep -EHn "$linux_only|$windows_only" "$f"; then bad=1; fi
  case "$f" in *linux_*|*_linux.*|*windows_*|*_win32.*) echo "$f: a platform file in a portable folder"; bad=1 ;; esac
done < <(git ls-files 'runtime/container/*' 'runtime/sandbox/*' 'runtime/stats/*')
if ((bad)); then
  echo "platform-only headers or files in portable folders (see above): move them to runtime/linux or runtime/windows" >&2
  exit 1
fi
echo "portable folders: no platform-only headers"
