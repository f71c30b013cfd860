#pragma once
// silod's side of an interactive exec (shim op `exec` with `stream`): one
// dedicated shim connection per process. Start() returns once the process
// runs, holding its stdio descriptors; Wait() then blocks for the exit code.
//
// Thread safety: Wait() may run on one thread while Abort() is called from
// another; the descriptor accessors are plain reads of values fixed at Start.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/shim/protocol.h"

namespace silo::runtime::shim {

class StreamExecClient {
 public:
  // `tty`: the process gets a terminal (pty_fd); else pipes (stdin_fd only
  // with `stdin`). Errors from the shim (container not running, runc failed)
  // come back as its Status.
  static absl::StatusOr<std::unique_ptr<StreamExecClient>> Start(const std::string& socket_path,
                                                                 std::vector<std::string> args, bool tty,
                                                                 bool stdin, Deadline deadline);
  ~StreamExecClient();  // closes the connection and any descriptor not taken
  StreamExecClient(const StreamExecClient&) = delete;
  StreamExecClient& operator=(const StreamExecClient&) = delete;

  int pid() const { return pid_; }
  // The caller's ends; -1 when absent. Take* hands ownership over.
  int TakeStdin() { return Take(&stdin_fd_); }
  int TakeStdout() { return Take(&stdout_fd_); }
  int TakeStderr() { return Take(&stderr_fd_); }
  int TakePty() { return Take(&pty_fd_); }

  // Blocks until the process exits; returns its exit code. Unavailable after
  // Abort() or when the shim went away.
  absl::StatusOr<int> Wait();
  // Makes a blocked Wait() return. Idempotent.
  void Abort();

 private:
  explicit StreamExecClient(int conn) : conn_(conn) {}
  static int Take(int* fd) {
    int f = *fd;
    *fd = -1;
    return f;
  }

  const int conn_;
  int pid_ = 0;
  int stdin_fd_ = -1, stdout_fd_ = -1, stderr_fd_ = -1, pty_fd_ = -1;
};

}  // namespace silo::runtime::shim
