#pragma once
// Whether a client may talk to the server at the other end of a named pipe.
// Any local user can create a pipe under a name nobody holds, so a client
// that sends requests (silod to a container monitor) first asks who serves
// the pipe (GetNamedPipeServerProcessId) and accepts only the process it
// expects, or one running as SYSTEM or as a member of Administrators: a user
// who took the name first is not trusted with silod's requests.
// The decision is plain data (tested on Linux); named_pipe_win32.h gathers
// the facts. Standard library only; thread-safe.

#include <cstdint>
#include <string>

#include "runtime/base/windows/result.h"

namespace silo::win32 {

struct PipeServerFacts {
  uint32_t pid = 0;           // GetNamedPipeServerProcessId
  std::string user_sid;       // the server process token's user
  bool administrator = false;  // its token has BUILTIN\Administrators enabled
};

// OK when the server is `expected_pid` (0: any), else when it runs as SYSTEM
// or an administrator; E_ACCESSDENIED naming the pipe, the pid and the user
// otherwise. A server whose pid is 0 (unknown) is never trusted.
HrStatus JudgePipeServer(const std::string& pipe, const PipeServerFacts& facts, uint32_t expected_pid);

}  // namespace silo::win32
