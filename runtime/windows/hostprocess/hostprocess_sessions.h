#pragma once
// The HostProcess monitor's interactive sessions, over the same session
// frames as the HCS monitor's (shim/session_frames.h), so silod relays both
// alike (hcs_streaming/session_relay.h):
//
//   exec    (op exec with `stream`) a new process in the container's job
//           with its token, environment and working directory, as ExecSync;
//           a stdin pipe when asked; with a TTY a pseudo console (ConPTY,
//           as hcsshim's job containers), sized from the request (80x25
//           without one), resized by kResize, closed once the process has
//           exited so its last output is flushed. Its output goes out as frames,
//           kStdin/kStdinEof reach its stdin; once it has exited and its
//           output was copied (1 s at most after the exit: a child may hold
//           the pipes), kExit with its code. silod closing the connection
//           first terminates it. A stdin write blocked on a process that
//           stopped reading is cancelled before the session ends.
//   attach  a copy of the main process's output from now on (the CRI log
//           keeps it all); kExit with the container's exit code once that
//           output ended. The main process has no stdin (stdin frames are
//           dropped, as docker drops them). An attacher 4 MiB behind is cut
//           off (kFailed), never the container.
//
// Portable (tested on Linux over the fake ProcessApi and an in-memory Duplex).

#include "runtime/shim/core/protocol_codec.h"
#include "runtime/windows/hostprocess/hostprocess_monitor.h"
#include "runtime/windows/shim/session_frames.h"

namespace silo::runtime::windows::hostprocess {

shim::SessionStart StartHostProcessSession(HostProcessMonitor& monitor, const runtime::shim::Request& request);

}  // namespace silo::runtime::windows::hostprocess
