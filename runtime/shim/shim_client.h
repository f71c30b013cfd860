#pragma once
// silod's side of the shim protocol: one connection to one shim.
//
// Calls on one client are serialised by the caller (not thread-safe); use
// one client per concurrent call, e.g. a dedicated one for Wait().

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/shim/protocol.h"

namespace silo::runtime::shim {

class ShimClient {
 public:
  // Connects to the shim's socket, retrying while it does not exist yet or
  // refuses connections, until `deadline` (DeadlineExceeded with the last
  // error). `socket_path` must fit sockaddr_un (107 bytes).
  static absl::StatusOr<std::unique_ptr<ShimClient>> Connect(const std::string& socket_path, Deadline deadline);
  ~ShimClient();
  ShimClient(const ShimClient&) = delete;
  ShimClient& operator=(const ShimClient&) = delete;

  // Sends one request and returns the response; a non-OK response code
  // becomes the returned Status (annotated with the op and socket).
  absl::StatusOr<Response> Call(const Request& request, Deadline deadline = kNoDeadline);
  // The protocol version of the shim's last response (kUnversionedShim
  // before the first, or for a shim that reports none).
  int peer_version() const { return peer_version_; }

  absl::StatusOr<Response> State(Deadline deadline = kNoDeadline);
  // Starts a container whose shim was launched with --create-only.
  absl::Status Start(Deadline deadline = kNoDeadline);
  absl::Status Kill(int signal, bool all, Deadline deadline = kNoDeadline);
  // Runs a process in the container (ExecSync): the response holds its exit
  // code and output (each capped at kMaxExecOutput). `timeout` 0 = none;
  // on expiry the process is killed and DeadlineExceeded returned.
  absl::StatusOr<Response> Exec(std::vector<std::string> args, std::vector<std::string> env,
                                std::chrono::milliseconds timeout, Deadline deadline = kNoDeadline);
  // Blocks until the container's init has exited and its exit is recorded.
  absl::StatusOr<Response> Wait(Deadline deadline = kNoDeadline);
  absl::Status ReopenLog(Deadline deadline = kNoDeadline);
  absl::Status Shutdown(Deadline deadline = kNoDeadline);
  // Attach: read ends of pipes that receive the main process's stdout and
  // stderr from now on (EOF once its exit is recorded), and a duplicate of
  // its stdin pipe (-1 when the container was created without stdin). For a
  // TTY container `in` is its pty master, even without stdin (sizes are set
  // on it), and `err` stays empty. The caller owns the descriptors.
  struct AttachedStdio {
    int out = -1;
    int err = -1;
    int in = -1;
  };
  absl::StatusOr<AttachedStdio> Attach(Deadline deadline = kNoDeadline);
  // Closes the container's stdin (CRI stdin_once after the attach ends).
  absl::Status CloseStdin(Deadline deadline = kNoDeadline);

  // Gives up the connection: the caller owns the descriptor from now on
  // (ShimExitWatcher keeps a `wait` pending on it).
  int ReleaseFd() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  ShimClient(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
  int peer_version_ = kUnversionedShim;
};

}  // namespace silo::runtime::shim
