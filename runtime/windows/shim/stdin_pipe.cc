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
  std::lock_guard<std::mutex> serial(write_mu_);
  if (abandoned != nullptr && *abandoned) return false;
  while (!data.empty()) {
    void* handle = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (handle_ == nullptr || closing_) return false;
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
    if (n != chunk) return false;
    data.remove_prefix(chunk);
  }
  return true;
}

void StdinPipe::CancelWrites() {
  std::lock_guard<std::mutex> lock(mu_);
  if (in_write_ && handle_ != nullptr) io_.cancel(handle_);
}

void StdinPipe::Close() {
  void* handle = nullptr;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (handle_ == nullptr) return;
    closing_ = true;
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
