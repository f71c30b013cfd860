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

namespace {

// Connects, sends `request` and reads its response; on success the
// connection is left open in *pipe for the caller, who closes it.
win32::Result<wire::Response> Exchange(const std::wstring& name, const wire::Request& request,
                                       ShimPipeClient::Deadline deadline, ShimPipeClient::Deadline answer_deadline,
                                       HANDLE* pipe) {
  auto connected = Connect(name, deadline);
  if (!connected.ok()) return connected.status();
  const std::string context = std::string("shim ") + wire::OpName(request.op) + ": ";
  auto fail = [&](const HrStatus& s) {
    CloseHandle(*connected);
    return HrStatus(s.hr(), context + s.message());
  };
  HrStatus sent = WritePipeFrame(*connected, wire::EncodeRequest(request), wire::kMaxFrameSize, MillisLeft(deadline));
  if (!sent.ok()) return fail(sent);
  auto frame = ReadPipeFrame(*connected, wire::kMaxResponseFrameSize, MillisLeft(answer_deadline));
  if (!frame.ok()) return fail(frame.status());
  wire::Response response;
  std::string error;
  if (!wire::DecodeResponseJson(*frame, &response, &error)) return fail(HrStatus(0x8007000D, error));
  *pipe = *connected;
  return response;
}

}  // namespace

win32::Result<wire::Response> ShimPipeClient::Call(const wire::Request& request, Deadline deadline) const {
  return Call(request, deadline, deadline);
}

win32::Result<wire::Response> ShimPipeClient::Call(const wire::Request& request, Deadline send_deadline,
                                                   Deadline answer_deadline) const {
  HANDLE pipe = nullptr;
  auto response = Exchange(pipe_name_, request, send_deadline, answer_deadline, &pipe);
  if (response.ok()) CloseHandle(pipe);
  return response;
}

win32::Result<ShimSession> ShimPipeClient::OpenSession(const wire::Request& request, Deadline deadline) const {
  HANDLE pipe = nullptr;
  auto response = Exchange(pipe_name_, request, deadline, deadline, &pipe);
  if (!response.ok()) return response.status();
  ShimSession session;
  session.response = std::move(*response);
  if (session.response.code != 0) {
    CloseHandle(pipe);  // an error ends the exchange: nothing follows it
    return session;
  }
  session.conn = NewPipeDuplex(pipe);
  return session;
}

}  // namespace silo::runtime::windows::shim
