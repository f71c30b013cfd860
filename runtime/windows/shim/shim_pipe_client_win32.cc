#include "runtime/windows/shim/shim_pipe_client_win32.h"

#include <windows.h>

#include "runtime/base/windows/named_pipe_win32.h"
#include "runtime/windows/shim/pipe_duplex_win32.h"
#include "runtime/windows/shim/pipe_frames_win32.h"

namespace silo::runtime::windows::shim {
namespace {

namespace wire = runtime::shim;
using win32::HrStatus;

DWORD MillisLeft(ShimPipeClient::Deadline deadline) {
  if (deadline == ShimPipeClient::Deadline::max()) return INFINITE;
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  if (left <= 0) return 0;
  return left >= static_cast<long long>(INFINITE) ? INFINITE - 1 : static_cast<DWORD>(left);
}

// Connects, waiting while every instance is busy. SECURITY_IDENTIFICATION:
// the monitor may learn who calls but cannot act as silod.
win32::Result<HANDLE> Connect(const std::wstring& name, ShimPipeClient::Deadline deadline) {
  for (;;) {
    HANDLE h = CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                           FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr);
    if (h != INVALID_HANDLE_VALUE) {
      // A monitor runs as SYSTEM or an administrator, as silod does: a pipe
      // another user managed to serve gets none of silod's requests.
      win32::HrStatus trusted = win32::VerifyPipeServer(h, "shim pipe", 0);
      if (!trusted.ok()) {
        CloseHandle(h);
        return trusted;
      }
      return h;
    }
    if (GetLastError() != ERROR_PIPE_BUSY) return win32::LastErrorStatus("connect to shim pipe");
    const DWORD left = MillisLeft(deadline);
    if (left == 0) return HrStatus(kHrPipeTimeout, "shim pipe busy until the deadline");
    WaitNamedPipeW(name.c_str(), std::min<DWORD>(left, 1000));
  }
}

}  // namespace

win32::Result<wire::Response> ShimPipeClient::Call(const wire::Request& request, Deadline deadline) const {
  auto pipe = Connect(pipe_name_, deadline);
  if (!pipe.ok()) return pipe.status();
  const std::string context = std::string("shim ") + wire::OpName(request.op) + ": ";
  HrStatus sent = WritePipeFrame(*pipe, wire::EncodeRequest(request), wire::kMaxFrameSize, MillisLeft(deadline));
  if (!sent.ok()) {
    CloseHandle(*pipe);
    return HrStatus(sent.hr(), context + sent.message());
  }
  auto frame = ReadPipeFrame(*pipe, wire::kMaxResponseFrameSize, MillisLeft(deadline));
  CloseHandle(*pipe);
  if (!frame.ok()) return HrStatus(frame.status().hr(), context + frame.status().message());
  wire::Response response;
  std::string error;
  if (!wire::DecodeResponseJson(*frame, &response, &error)) return HrStatus(0x8007000D, context + error);
  return response;
}

win32::Result<ShimSession> ShimPipeClient::OpenSession(const wire::Request& request, Deadline deadline) const {
  auto pipe = Connect(pipe_name_, deadline);
  if (!pipe.ok()) return pipe.status();
  const std::string context = std::string("shim ") + wire::OpName(request.op) + " session: ";
  HrStatus sent = WritePipeFrame(*pipe, wire::EncodeRequest(request), wire::kMaxFrameSize, MillisLeft(deadline));
  if (!sent.ok()) {
    CloseHandle(*pipe);
    return HrStatus(sent.hr(), context + sent.message());
  }
  auto frame = ReadPipeFrame(*pipe, wire::kMaxResponseFrameSize, MillisLeft(deadline));
  if (!frame.ok()) {
    CloseHandle(*pipe);
    return HrStatus(frame.status().hr(), context + frame.status().message());
  }
  ShimSession session;
  std::string error;
  if (!wire::DecodeResponseJson(*frame, &session.response, &error)) {
    CloseHandle(*pipe);
    return HrStatus(0x8007000D, context + error);
  }
  if (session.response.code != 0) {
    CloseHandle(*pipe);
    return session;
  }
  session.conn = NewPipeDuplex(*pipe);
  return session;
}

}  // namespace silo::runtime::windows::shim
