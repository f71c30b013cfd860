#pragma once
// A thin wrapper over the runc command line (crun accepts the same
// commands). Every call runs `<binary> --root <root> --log <tmp> --log-format
// json <command> ...` synchronously; a failure returns a Status whose message
// names the command and container id and carries runc's own error text.
//
// Containers created here are not reaped by this class: the container's init
// is reparented to the nearest child subreaper (the shim sets
// PR_SET_CHILD_SUBREAPER), which must waitpid() it to learn the exit code.
// Thread-compatible: the object is immutable; concurrent calls are fine.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace silo::runtime::linux_backend {

// Descriptors handed to the container's process; -1 means /dev/null. They
// are dup'ed into the runc child; the caller keeps ownership.
struct RuncStdio {
  int in = -1;
  int out = -1;
  int err = -1;
};

struct RuncState {
  std::string id;
  int pid = 0;
  std::string status;  // creating, created, running, paused, stopped
  std::string bundle;
};

class Runc {
 public:
  // `binary`: path or name in PATH; `root`: runc's state directory (tests use
  // a private one so they never touch the system's containers).
  Runc(std::string binary, std::string root) : binary_(std::move(binary)), root_(std::move(root)) {}

  // runc create. `console_socket` empty means no terminal.
  absl::Status Create(const std::string& id, const std::string& bundle, const std::string& pid_file,
                      const std::string& console_socket, const RuncStdio& stdio) const;
  absl::Status Start(const std::string& id) const;
  // NotFound when runc does not know the container.
  absl::StatusOr<RuncState> State(const std::string& id) const;
  absl::Status Kill(const std::string& id, int signal, bool all = false) const;
  // Idempotent: deleting an unknown container is OK.
  absl::Status Delete(const std::string& id, bool force) const;
  // runc exec --detach with a process.json; the exec'd process's pid is
  // written to `pid_file`.
  absl::Status Exec(const std::string& id, const std::string& process_json, const std::string& pid_file,
                    const RuncStdio& stdio) const;

  const std::string& root() const { return root_; }

  struct Result {
    int exit_code = -1;
    std::string out;    // captured stdout (only when the caller gave no stdout)
    std::string error;  // runc's error messages (log file, else stderr)
  };
  // Runs runc with `args` after the global flags. Public for tests.
  absl::StatusOr<Result> Run(const std::vector<std::string>& args, const RuncStdio* stdio) const;

 private:
  absl::Status Check(const std::vector<std::string>& args, const std::string& id,
                     const RuncStdio* stdio = nullptr) const;

  std::string binary_;
  std::string root_;
};

}  // namespace silo::runtime::linux_backend
