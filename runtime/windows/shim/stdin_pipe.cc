#include "runtime/windows/shim/stdin_pipe.h"

#include <algorithm>
#include <chrono>

namespace silo::runtime::windows::shim {
namespace {

// How often a cancel is re-issued while the writer has not left.
constexpr std::chrono::milliseconds kCancelRetry{20};
constexpr size_t kMaxStdinChunk = 1u << 20;

}  // namespace

StdinPipe::StdinPipe(const hcs::HcsApi& api, const hcs::StdioIo& io, void* handle)
    : api_(api), io_(io), handle_(handle) {}

StdinPipe::~StdinPipe() { Close(); }

bool StdinPipe::Write(std::string_view data, const std::atomic<bool>* abandoned) {
  auto gone = [&] { return abandoned != nullptr && *abandoned; };
  {
    std::unique_lock<std::mutex> lock(mu_);
    turn_.wait(lock, [&] { return !busy_ || gone() || handle_ == nullptr || closing_; });
    if (gone() || handle_ == nullptr || closing_) return false;
    busy_ = true;
    owner_ = abandoned;
  }
  bool ok = true;
  while (ok && !data.empty()) {
    void* handle = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (handle_ == nullptr || closing_) {
        ok = false;
        break;
      }
      handle = handle_;
      in_write_ = true;
    }
    const uint32_t chunk = static_cast<uint32_t>(std::min(data.size(), kMaxStdinChunk));
    const int64_t n = io_.write(handle, data.data(), chunk);
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_write_ = false;
    }
    writer_left_.notify_all();
    ok = n == chunk;
    data.remove_prefix(ok ? chunk : 0);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    busy_ = false;
    owner_ = nullptr;
  }
  turn_.notify_all();
  return ok;
}

void StdinPipe::CancelWrites(const std::atomic<bool>* writer) {
  std::lock_guard<std::mutex> lock(mu_);
  turn_.notify_all();  // an abandoned writer waiting for its turn leaves
  if (in_write_ && handle_ != nullptr && (writer == nullptr || writer == owner_)) io_.cancel(handle_);
}

void StdinPipe::Close() {
  void* handle = nullptr;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (handle_ == nullptr) return;
    closing_ = true;
    turn_.notify_all();
    // The handle is closed only once no write uses it: a closed handle's
    // value may be reused by the next one Windows hands out.
    while (in_write_) {
      io_.cancel(handle_);
      writer_left_.wait_for(lock, kCancelRetry);
    }
    handle = handle_;
    handle_ = nullptr;
  }
  api_.close_handle(handle);
}

bool StdinPipe::open() const {
  std::lock_guard<std::mutex> lock(mu_);
  return handle_ != nullptr && !closing_;
}

}  // namespace silo::runtime::windows::shim
