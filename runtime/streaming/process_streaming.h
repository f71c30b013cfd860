#pragma once
// ProcessStreaming: a runtime handler's exec, attach and port-forward. The
// streaming server reaches it through the record's handler, after the
// portable checks (the container is RUNNING, the sandbox READY), so an
// implementation only moves bytes between the streams and its platform's
// processes and sockets.
//
// Thread-safe: every call runs on its own connection and threads; the
// caller owns the streams and keeps them alive for the duration of the call.

#include <cstdint>
#include <optional>
#include <vector>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/model/container.h"
#include "runtime/model/sandbox.h"
#include "runtime/streaming/stream_io.h"

namespace silo::runtime::streaming {

struct ExecStreams {
  ByteQueue* stdin = nullptr;    // null when not requested
  OutputStream* stdout = nullptr;
  OutputStream* stderr = nullptr;  // always null with tty (output is merged)
  ResizeQueue* resize = nullptr;   // non-null only with tty
  bool tty = false;
};

// How an attach session ended without an error.
enum class AttachEnd {
  kDetached,        // the client closed stdin without stdin_once: exit code 0 to the client
  kProcessExited,   // the main process ended its output: the caller reports its recorded exit
};

class ProcessStreaming {
 public:
  virtual ~ProcessStreaming() = default;

  // Runs `cmd` in the container and returns its exit code once it exited
  // and its output was forwarded. Stdin EOF reaches the process as EOF; an
  // OutputStream returning false means the client left (Cancelled).
  virtual absl::StatusOr<int> Exec(const model::ContainerRecord& container, const std::vector<std::string>& cmd,
                                   const ExecStreams& streams) = 0;

  // Joins the main process's stdio until its output ends or the client
  // detaches. Cancelled when the client went away.
  virtual absl::StatusOr<AttachEnd> Attach(const model::ContainerRecord& container, const ExecStreams& streams) = 0;

  // Connects to `port` in the sandbox's network and copies bytes both ways
  // until both directions end. `in` EOF means the client finished sending;
  // `in->abandoned()` or a failing `out` means the client is gone: return
  // promptly even if the target keeps its side open.
  virtual absl::Status PortForward(const model::SandboxRecord& sandbox, int32_t port, ByteQueue* in,
                                   OutputStream* out) = 0;
};

}  // namespace silo::runtime::streaming
