#include "runtime/windows/shim/output_drain.h"

#include <chrono>
#include <vector>

namespace silo::runtime::windows::shim {

OutputDrain::OutputDrain(const hcs::HcsApi& api, const hcs::StdioIo& io, void* handle, Sink sink)
    : io_(io), handle_(handle) {
  if (handle == nullptr) {
    done_ = true;
    return;
  }
  thread_ = std::thread([this, &api, sink = std::move(sink)] {
    std::vector<char> buf(32 * 1024);
    while (!stop_) {
      const int64_t n = io_.read(handle_, buf.data(), static_cast<uint32_t>(buf.size()));
      if (n <= 0) break;  // end of stream, or an error nothing can retry
      sink(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
    done_ = true;
  });
  close_handle_ = api.close_handle;
}

OutputDrain::~OutputDrain() { Join(); }

void OutputDrain::Join() {
  if (thread_.joinable()) thread_.join();
  if (handle_ != nullptr) close_handle_(handle_);
  handle_ = nullptr;
}

bool OutputDrain::JoinFor(std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (thread_.joinable() && !done_ && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const bool ended = done_;
  Stop();
  return ended;
}

void OutputDrain::Stop() {
  stop_ = true;
  // A cancel that lands before the read starts is lost, so repeat it.
  while (thread_.joinable() && !done_) {
    io_.cancel(handle_);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Join();
}

OutputDrain::Sink CappedStringSink(std::string* out, size_t cap) {
  return [out, cap](std::string_view chunk) {
    if (out->size() < cap) out->append(chunk.substr(0, cap - out->size()));
  };
}

}  // namespace silo::runtime::windows::shim
