#pragma once
// A StreamingRuntime for tests that runs commands as real host processes
// (pipes, or a pty for tty) and port-forwards to real sockets on 127.0.0.1.
// The container and sandbox ids are ignored. Attach runs the command set
// with SetAttachCommand for that container id, standing in for a
// container's main process. Thread-safe.

#include <map>
#include <string>
#include <vector>

#include "runtime/base/mutex.h"
#include "cri/streaming/streaming_runtime.h"

namespace silo::cri::streaming::testing {

class HostProcessRuntime : public StreamingRuntime {
 public:
  absl::StatusOr<int> Exec(const std::string& container_id, const std::vector<std::string>& cmd,
                           const ExecStreams& streams) override;
  absl::StatusOr<int> Attach(const std::string& container_id, const ExecStreams& streams) override;
  absl::Status PortForward(const std::string& pod_sandbox_id, int32_t port, ByteQueue* in,
                           OutputStream* out) override;

  void SetAttachCommand(const std::string& container_id, std::vector<std::string> cmd);

 private:
  silo::Mutex mu_;
  std::map<std::string, std::vector<std::string>> attach_cmds_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::cri::streaming::testing
