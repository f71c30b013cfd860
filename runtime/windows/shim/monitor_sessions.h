#pragma once
// The monitor's interactive sessions (session_frames.h): a streamed exec
// (op exec with `stream`) and attach. The request is answered first with an
// ordinary response; when it is OK the connection then carries session
// frames, served by `run` on the connection's thread until the session ends.
//
//   exec    a new process in the container (the HCS ProcessParameters silod
//           built, EmulateConsole/ConsoleSize for a TTY); its stdout/stderr
//           go out as frames, stdin/EOF/resize frames reach it (EOF through
//           HcsModifyProcess CloseHandle, then our end closed, as hcsshim);
//           when it exits and its output drained: kExit with its code. If
//           silod's side goes away first, the process is terminated.
//   attach  a copy of the main process's output from now on (the CRI log
//           keeps it all), its stdin when the container has one open
//           (kStdinEof closes the container's stdin: silod sends it only
//           for stdin_once), resize of its console; kExit once its output
//           ended. silod closing the connection detaches. An attacher that
//           falls 4 MiB behind is cut off (kFailed), never the container.
// Portable (tested on Linux over the fake HCS and an in-memory Duplex).

#include <functional>

#include "runtime/shim/core/protocol_codec.h"
#include "runtime/windows/shim/container_monitor.h"
#include "runtime/windows/shim/session_frames.h"

namespace silo::runtime::windows::shim {

SessionStart StartMonitorSession(ContainerMonitor& monitor, const runtime::shim::Request& request);

}  // namespace silo::runtime::windows::shim
