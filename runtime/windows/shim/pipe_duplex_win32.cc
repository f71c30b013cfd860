#include "runtime/windows/shim/pipe_duplex_win32.h"

#include <atomic>

#include "runtime/base/windows/named_pipe_win32.h"

namespace silo::runtime::windows::shim {
namespace {

class PipeDuplex final : public Duplex {
 public:
  PipeDuplex(HANDLE pipe, bool close_on_destroy)
      : pipe_(pipe), close_(close_on_destroy), cancel_(CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}
  ~PipeDuplex() override {
    if (cancel_ != nullptr) CloseHandle(cancel_);
    if (close_) CloseHandle(pipe_);
  }

  int64_t Read(char* buf, size_t len) override {
    if (cancel_ == nullptr || WaitForSingleObject(cancel_, 0) == WAIT_OBJECT_0) return -1;
    OVERLAPPED ov = {};
    ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (ov.hEvent == nullptr) return -1;
    const DWORD want = static_cast<DWORD>(std::min<size_t>(len, 1u << 20));
    DWORD done = 0;
    BOOL ok = ReadFile(pipe_, buf, want, &done, &ov);
    if (!ok && GetLastError() == ERROR_IO_PENDING) {
      // The cancel event, not CancelIoEx(h, nullptr): a write of another
      // thread on the same handle must go on.
      HANDLE waits[2] = {ov.hEvent, cancel_};
      if (WaitForMultipleObjects(2, waits, FALSE, INFINITE) != WAIT_OBJECT_0) CancelIoEx(pipe_, &ov);
      ok = GetOverlappedResult(pipe_, &ov, &done, TRUE);
    }
    const DWORD err = ok ? 0 : GetLastError();
    CloseHandle(ov.hEvent);
    if (ok) return static_cast<int64_t>(done);
    if (err == ERROR_OPERATION_ABORTED) return -1;
    return err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED || err == ERROR_HANDLE_EOF ? 0 : -1;
  }

  bool Write(std::string_view data) override {
    while (!data.empty()) {
      const DWORD chunk = static_cast<DWORD>(std::min<size_t>(data.size(), 1u << 20));
      const int64_t n = win32::OverlappedTransfer(pipe_, /*write=*/true, const_cast<char*>(data.data()), chunk);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void CancelRead() override {
    if (cancel_ != nullptr) SetEvent(cancel_);
  }

 private:
  const HANDLE pipe_;
  const bool close_;
  const HANDLE cancel_;
};

}  // namespace

std::unique_ptr<Duplex> NewPipeDuplex(HANDLE pipe, bool close_on_destroy) {
  return std::make_unique<PipeDuplex>(pipe, close_on_destroy);
}

}  // namespace silo::runtime::windows::shim
