#pragma once
// Running one CNI plugin binary (CNI spec 1.0, "Execution protocol").
//
// Two layers, so the protocol logic is shared by both OSes:
//   PluginExec      the OS seam: spawn a binary with an environment and stdin,
//                   collect stdout/stderr and the exit status, kill it at a
//                   deadline. One implementation per platform
//                   (plugin_exec_linux.cc; a Windows one follows).
//   InvokePlugin    the CNI layer on top: builds the CNI_* environment and turns
//                   a failed run (exit status, CNI error JSON) into a Status
//                   that names the plugin, the command and the plugin's message.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace silo::network::cni {

// One process to run. The child gets the daemon's environment with `env`
// added (entries in `env` win over inherited variables of the same name).
struct ExecRequest {
  std::string path;  // absolute path of the binary
  std::vector<std::pair<std::string, std::string>> env;
  std::string stdin_data;
  absl::Duration timeout = absl::Seconds(60);
};

struct ExecOutput {
  // Exit code when the process exited; unset when a signal ended it.
  std::optional<int> exit_code;
  int term_signal = 0;
  std::string stdout_data;
  std::string stderr_data;
};

class PluginExec {
 public:
  virtual ~PluginExec() = default;

  // Runs the binary to completion. OK whatever the exit code: judging it is
  // the caller's job. NotFound when the binary does not exist,
  // PermissionDenied when it is not executable, DeadlineExceeded when it ran
  // past `timeout` (it and every process in its process group / job are
  // killed first). Implementations must be thread-safe and must not leak
  // descriptors or handles into the child beyond its stdio.
  virtual absl::StatusOr<ExecOutput> Run(const ExecRequest& request) = 0;
};

// The platform's implementation.
std::unique_ptr<PluginExec> NewPluginExec();

// The separator of CNI_PATH entries (':' on Linux, ';' on Windows).
const char* PathListSeparator();

// Absolute path of the executable for plugin `type` in the first of
// `bin_dirs` that has one (with ".exe" on Windows). InvalidArgument when
// `type` could escape the dirs; NotFound naming the dirs searched.
absl::StatusOr<std::string> FindPluginBinary(const std::vector<std::string>& bin_dirs, const std::string& type);

// A plugin lookup with FindPluginBinary's contract. The Windows wiring gives
// the Windows one (type.exe first) wherever silod is built, so that the Linux
// test build of it finds plugins as a Windows node does.
using PluginFinder =
    std::function<absl::StatusOr<std::string>(const std::vector<std::string>& bin_dirs, const std::string& type)>;

// Whether `path` is a regular file this host can run as a plugin.
bool IsPluginFile(const std::string& path);

// Values for the CNI_* environment of one invocation.
struct PluginCall {
  std::string plugin_name;  // "type" from the config, used in messages
  std::string plugin_path;  // absolute path of the binary
  std::string command;      // ADD, DEL, CHECK, VERSION
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::vector<std::pair<std::string, std::string>> args;  // CNI_ARGS, K=V;K=V
  std::vector<std::string> cni_path;                        // CNI_PATH dirs
  std::string stdin_data;                                   // network config JSON
  absl::Duration timeout = absl::Seconds(60);
};

// Runs the plugin and returns its stdout on success (exit code 0). On failure
// the Status names the plugin and command and carries the plugin's CNI error
// ({"code","msg","details"} on stdout) or, lacking one, its stderr. Codes:
// CNI error 3 (unknown container / does not exist) -> NotFound, 1, 2, 4, 6, 7
// (bad version, field, environment or config) -> InvalidArgument,
// 11 (try again later) -> Unavailable, anything else -> Internal.
absl::StatusOr<std::string> InvokePlugin(PluginExec& exec, const PluginCall& call);

// Maps a failed run to a Status (exposed for tests and for other callers).
absl::Status PluginFailureToStatus(const PluginCall& call, const ExecOutput& out);

}  // namespace silo::network::cni
