#pragma once
// The listening end of runc's --console-socket: runc connects once, sends
// the pty master of the process it started (SCM_RIGHTS) and hangs up. Used
// for TTY execs and for TTY containers' main process.
//
// Not thread-safe; one per runc call.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace silo::runtime::shim {

class ConsoleSocket {
 public:
  ConsoleSocket() = default;
  ConsoleSocket(const ConsoleSocket&) = delete;
  ConsoleSocket& operator=(const ConsoleSocket&) = delete;
  // Closes the socket and removes its private directory.
  ~ConsoleSocket();

  // Binds a socket in a fresh directory under /tmp: bundle paths can be too
  // long for sockaddr_un.
  absl::Status Open();
  const std::string& path() const { return path_; }

  // The pty master runc sent (close-on-exec, owned by the caller). runc has
  // connected and sent it before exiting, so this waits only briefly.
  absl::StatusOr<int> ReceiveMaster();

 private:
  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
};

}  // namespace silo::runtime::shim
