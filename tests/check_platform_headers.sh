#!/usr/bin/env bash
# The portable folders include no platform-only header:
#  - in cri/ (outside *_linux.cc, *_win32.cc and wiring_*) no Linux-only header;
#  - runtime/container, runtime/sandbox and runtime/stats hold no Linux- or
#    Windows-only file at all;
#  - no portable file of cri, runtime, network, image or metrics includes a
#    Windows header (windows.h, winsock2.h, ...) or a POSIX one (unistd.h,
#    sys/*, netinet/*, ...). Portable means outside the platform folders
#    (linux/, windows/, netns/, hns/, wcifs/, shim/, mingw/, fake/, testing/)
#    and not a platform file by name (*_linux.*, *_win32.*, *_posix.*,
#    wiring_*, windows_*, npipe_*); CMake picks the platform files.
# Prints each offence; exits 1 if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
linux_only='#include[[:space:]]*<(sys/eventfd\.h|termios\.h|sys/epoll\.h|sched\.h|sys/mount\.h|linux/[^>]*|sys/prctl\.h|sys/signalfd\.h|pty\.h)>'
windows_only='#include[[:space:]]*<(windows\.h|winternl\.h|winioctl\.h|computecore\.h|computenetwork\.h)>'
windows_family='#include[[:space:]]*<(windows|winsock2|ws2tcpip|winternl|winioctl|winbase|winerror|winsvc|aclapi|sddl|shellapi|mswsock|afunix|fileapi|handleapi|processthreadsapi|synchapi|ntstatus|computecore|computenetwork|computestorage)\.h>'
posix='#include[[:space:]]*<(unistd|fcntl|poll|termios|dirent|signal|pwd|grp|pthread|dlfcn)\.h>|#include[[:space:]]*<(sys|netinet|arpa|linux)/[^>]*>'
bad=0
while IFS= read -r f; do
  case "$f" in *_linux.cc|*_linux.h|*_win32.cc|*_win32.h|*/wiring_*) continue ;; esac
  if grep -EHn "$linux_only" "$f"; then bad=1; fi
done < <(git ls-files 'cri/*.cc' 'cri/*.h')
while IFS= read -r f; do
  if grep -EHn "$linux_only|$windows_only" "$f"; then bad=1; fi
  case "$f" in *linux_*|*_linux.*|*windows_*|*_win32.*) echo "$f: a platform file in a portable folder"; bad=1 ;; esac
done < <(git ls-files 'runtime/container/*' 'runtime/sandbox/*' 'runtime/stats/*')
while IFS= read -r f; do
  case "$f" in
    */linux/*|*/windows/*|*/netns/*|*/hns/*|*/wcifs/*|*/shim/*|*/mingw/*|*/fake/*|*/testing/*) continue ;;
    *_linux.*|*_win32.*|*_posix.*|*/wiring_*|*/windows_*|*/npipe_*) continue ;;
    *_test.cc|*_fuzz.cc|*fuzz_driver*) continue ;;  # tests run on the platform that builds them
  esac
  if grep -EHn "$windows_family|$posix" "$f"; then bad=1; fi
done < <(git ls-files 'cri/*.cc' 'cri/*.h' 'runtime/*.cc' 'runtime/*.h' 'network/*.cc' 'network/*.h' \
  'image/*.cc' 'image/*.h' 'metrics/*.cc' 'metrics/*.h')
if ((bad)); then
  echo "platform-only headers or files in portable folders (see above): move them to a platform folder or a" \
    "*_linux / *_posix / *_win32 file that CMake picks" >&2
  exit 1
fi
echo "portable folders: no platform-only headers"
