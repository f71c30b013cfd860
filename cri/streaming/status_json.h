#pragma once
// JSON documents of the Kubernetes remotecommand protocol: the v4 exit status
// (a metav1.Status) written on the error stream, and the TTY resize messages
// read from the resize stream. Pure functions.

#include <string>
#include <string_view>
#include <vector>

#include "cri/streaming/streaming_runtime.h"

namespace silo::cri::streaming {

// {"metadata":{},"status":"Success"} for 0; otherwise a Failure with reason
// NonZeroExitCode and details.causes[{"reason":"ExitCode","message":"<rc>"}].
std::string ExitStatusJson(int exit_code);

// A 500 InternalError status carrying `message`, for failures that are not
// an exit code (the runtime could not start the process, and so on).
std::string InternalErrorStatusJson(std::string_view message);

// Incremental decoder for the concatenated {"Width":W,"Height":H} objects of
// the resize stream; bytes may arrive split anywhere. Not thread-safe.
class ResizeDecoder {
 public:
  // Feeds bytes; returns every complete size decoded. Malformed objects are
  // skipped. Pending input is capped so garbage cannot grow it unbounded.
  std::vector<TerminalSize> Feed(std::string_view bytes);

 private:
  std::string pending_;
};

}  // namespace silo::cri::streaming
