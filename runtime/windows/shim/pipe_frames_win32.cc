#include "runtime/windows/shim/pipe_frames_win32.h"

#include "runtime/base/windows/named_pipe_win32.h"
#include "runtime/base/windows/wide.h"
#include "runtime/shim/core/protocol_codec.h"

namespace silo::runtime::windows::shim {
namespace {

using win32::HrStatus;

HrStatus TransferAll(HANDLE pipe, bool write, char* data, size_t len, DWORD timeout_ms) {
  size_t done = 0;
  while (done < len) {
    const DWORD chunk = static_cast<DWORD>(std::min<size_t>(len - done, 1u << 20));
    const int64_t n = win32::OverlappedTransfer(pipe, write, data + done, chunk, timeout_ms);
    if (n == win32::kTransferTimedOut) return HrStatus(kHrPipeTimeout, "shim pipe timed out");
    if (n == 0) return HrStatus(kHrPipeClosed, "shim pipe closed before a full frame");
    if (n < 0) return win32::LastErrorStatus(write ? "write shim pipe" : "read shim pipe");
    done += static_cast<size_t>(n);
  }
  return HrStatus::Ok();
}

}  // namespace

std::wstring ShimPipeName(std::string_view container_id) {
  return L"\\\\.\\pipe\\silo-shim-" + win32::Utf8ToWide(container_id);
}

HrStatus WritePipeFrame(HANDLE pipe, std::string_view payload, uint32_t max_frame, DWORD timeout_ms) {
  if (payload.size() > max_frame) {
    return HrStatus(kHrFrameTooLarge, "shim frame of " + std::to_string(payload.size()) + " bytes exceeds " +
                                          std::to_string(max_frame));
  }
  std::string frame = runtime::shim::EncodeFrame(payload);
  return TransferAll(pipe, /*write=*/true, frame.data(), frame.size(), timeout_ms);
}

win32::Result<std::string> ReadPipeFrame(HANDLE pipe, uint32_t max_frame, DWORD timeout_ms) {
  char prefix[4];
  HrStatus s = TransferAll(pipe, /*write=*/false, prefix, sizeof(prefix), timeout_ms);
  if (!s.ok()) return s;
  const uint32_t n = runtime::shim::DecodeFrameLength(prefix);
  if (n > max_frame) {
    return HrStatus(kHrFrameTooLarge,
                    "shim frame of " + std::to_string(n) + " bytes exceeds " + std::to_string(max_frame));
  }
  std::string payload(n, '\0');
  s = TransferAll(pipe, /*write=*/false, payload.data(), n, timeout_ms);
  if (!s.ok()) return s;
  return payload;
}

}  // namespace silo::runtime::windows::shim
