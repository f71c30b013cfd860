#include "runtime/windows/hostprocess/output_pump.h"

#include <utility>

namespace silo::runtime::windows::hostprocess {

OutputPump::OutputPump(const ProcessApi& api, void* read_handle, Sink sink) : api_(api), read_(read_handle) {
  thread_ = std::thread([this, sink = std::move(sink)] {
    char buffer[4096];
    uint32_t got = 0;
    // Any failure ends the stream: ERROR_BROKEN_PIPE is the normal end,
    // ERROR_OPERATION_ABORTED a Stop.
    while (!stop_ && api_.read_file(read_, buffer, sizeof(buffer), &got) != 0) {
      if (got > 0) sink(std::string_view(buffer, got));
    }
    done_ = true;
  });
}

OutputPump::~OutputPump() { Join(); }

void OutputPump::Join() {
  if (thread_.joinable()) thread_.join();
  if (read_ != nullptr) {
    api_.close_handle(read_);
    read_ = nullptr;
  }
}

bool OutputPump::JoinFor(std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (thread_.joinable() && !done_ && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const bool ended = done_ || !thread_.joinable();
  Stop();
  return ended;
}

void OutputPump::Stop() {
  stop_ = true;
  // A cancel that lands before the read starts is lost (ERROR_NOT_FOUND),
  // so repeat it until the thread has returned.
  while (thread_.joinable() && !done_) {
    api_.cancel_io(read_);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Join();
}

}  // namespace silo::runtime::windows::hostprocess
