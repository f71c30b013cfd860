#pragma once
// One ExecSync in flight inside silo-shim: the exec'd process's pid, its
// output pipes and what they produced so far. Owned and driven by the shim's
// single-threaded poll loop (shim_server.cc); not thread-safe.

#include <sys/types.h>

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/shim/protocol.h"

namespace silo::runtime::shim {

struct ExecSession {
  ExecSession() = default;
  ExecSession(const ExecSession&) = delete;
  ExecSession& operator=(const ExecSession&) = delete;
  ~ExecSession();  // closes any pipe still open

  // Reads what `fd` (out_fd or err_fd) has into its buffer, keeping at most
  // kMaxExecOutput bytes per stream; closes it at EOF.
  void Drain(int fd);
  void CloseAll();
  bool drained() const { return out_fd < 0 && err_fd < 0; }

  int client_fd = -1;  // -1 once the client went away
  pid_t pid = 0;
  int out_fd = -1;
  int err_fd = -1;
  std::string out, err;
  bool reaped = false;
  bool timed_out = false;
  int exit_code = 0;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point reaped_at;
};

// The process.json for `runc exec`: the container's own process from its
// config.json (user, capabilities, env, cwd), with the request's args, its
// env appended, its cwd if set, and a terminal only for a streaming tty exec. InvalidArgument for a bad
// config.json.
absl::StatusOr<std::string> BuildExecProcessJson(absl::string_view config_json, const Request& request);

}  // namespace silo::runtime::shim
