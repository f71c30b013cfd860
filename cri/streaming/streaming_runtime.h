#pragma once
// The seam between the streaming server and whatever runs processes: silod
// implements it through the container shim; tests use a host-process
// implementation. The server owns every stream object and keeps it alive for
// the duration of the call.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cri/streaming/stream_io.h"

namespace silo::cri::streaming {

struct ExecStreams {
  ByteQueue* stdin = nullptr;    // null when not requested
  OutputStream* stdout = nullptr;
  OutputStream* stderr = nullptr;  // always null with tty (output is merged)
  ResizeQueue* resize = nullptr;   // non-null only with tty
  bool tty = false;
};

class StreamingRuntime {
 public:
  virtual ~StreamingRuntime() = default;

  // Runs `cmd` in the container and returns its exit code once it exits and
  // its output has been forwarded. Stdin EOF must reach the process as EOF;
  // an OutputStream returning false means the client left: stop forwarding
  // and let the process see a closed pipe. Errors (container gone, exec
  // failed to start) are returned as Status, not as an exit code.
  virtual absl::StatusOr<int> Exec(const std::string& container_id,
                                   const std::vector<std::string>& cmd,
                                   const ExecStreams& streams) = 0;

  // Joins the main process's stdio until it exits (exit code) or the client
  // detaches (stdin EOF without stdin_once: return an exit code of 0).
  virtual absl::StatusOr<int> Attach(const std::string& container_id,
                                     const ExecStreams& streams) = 0;

  // Connects to `port` in the sandbox's network and copies bytes both ways
  // until both directions end. `in` EOF means the client finished sending;
  // `in->abandoned()` or a failing `out` means the client is gone: return
  // promptly even if the target keeps its side open.
  virtual absl::Status PortForward(const std::string& pod_sandbox_id, int32_t port,
                                   ByteQueue* in, OutputStream* out) = 0;
};

}  // namespace silo::cri::streaming
