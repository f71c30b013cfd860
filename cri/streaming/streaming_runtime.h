#pragma once
// The seam between the streaming server and whatever runs processes, by
// CRI id: silod routes each call to the runtime handler of the container's
// or sandbox's record (handler_streaming.h); tests use a host-process
// implementation. The server owns every stream object and keeps it alive for
// the duration of the call. The stream types are the runtime's
// (runtime/streaming), which the handlers' ProcessStreaming also takes.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/streaming/process_streaming.h"
#include "runtime/streaming/stream_io.h"

namespace silo::cri::streaming {

using runtime::streaming::ByteQueue;
using runtime::streaming::ExecStreams;
using runtime::streaming::OutputStream;
using runtime::streaming::ResizeQueue;
using runtime::streaming::TerminalSize;

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
