#pragma once
// ShimPipeClient: silod's side of a Windows monitor's control pipe, the
// counterpart of ShimClient (runtime/shim/shim_client.h) on AF_UNIX. One
// connection per call, so a blocking `wait` never delays other calls. The
// response's code is a gRPC code; silod turns it into absl::Status with
// runtime/shim/protocol.h's ResponseStatus. Win32 only; thread-safe.

#include <chrono>
#include <string>

#include "runtime/base/windows/result.h"
#include "runtime/shim/core/protocol_codec.h"
#include "runtime/windows/shim/shim_port.h"

namespace silo::runtime::windows::shim {

class ShimPipeClient {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  explicit ShimPipeClient(std::wstring pipe_name) : pipe_name_(std::move(pipe_name)) {}

  // Sends `request` and reads its response before `deadline`. Fails with
  // HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) when no monitor serves the pipe
  // (it is gone), kHrPipeTimeout at the deadline.
  win32::Result<runtime::shim::Response> Call(const runtime::shim::Request& request, Deadline deadline) const;
  // As Call, with the response read before `answer_deadline` instead:
  // connecting and writing the request still end at `send_deadline`.
  win32::Result<runtime::shim::Response> Call(const runtime::shim::Request& request, Deadline send_deadline,
                                              Deadline answer_deadline) const;

  // Sends a session request (IsSessionRequest) and reads its response
  // before `deadline`; when it is OK the connection stays open as the
  // session's Duplex.
  win32::Result<ShimSession> OpenSession(const runtime::shim::Request& request, Deadline deadline) const;

  const std::wstring& pipe_name() const { return pipe_name_; }

 private:
  const std::wstring pipe_name_;
};

}  // namespace silo::runtime::windows::shim
