#pragma once
// Starting an interactive exec (CRI Exec) inside silo-shim: the process gets
// pipes, or a terminal through runc's --console-socket, and the shim hands
// the caller's ends to silod over the shim socket (fd_passing.h). The shim
// then only reaps the process and reports its exit code; it never touches
// the data, so a slow or vanished client cannot make the shim buffer.

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/linux/runc.h"

namespace silo::runtime::shim {

struct StreamExecProcess {
  pid_t pid = 0;
  // The caller's ends, in wire order: {pty master} with a tty, else
  // {[stdin write end,] stdout read end, stderr read end}. Owned: the shim
  // closes them once sent.
  std::vector<int> fds;
};

// Runs `runc exec --detach [--tty --console-socket S] --process <json>` for
// container `id`. `scratch` is a path prefix for the process and pid files
// (removed before returning). On failure nothing is left open.
absl::StatusOr<StreamExecProcess> StartStreamExec(const linux_backend::Runc& runc, const std::string& id,
                                                  const std::string& scratch, const std::string& process_json,
                                                  bool tty, bool stdin);

}  // namespace silo::runtime::shim
