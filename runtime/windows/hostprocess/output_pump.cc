#include "runtime/windows/hostprocess/output_pump.h"

#include <utility>

namespace silo::runtime::windows::hostprocess {

OutputPump::OutputPump(const ProcessApi& api, void* read_handle, Sink sink) : api_(api), read_(read_handle) {
  thread_ = std::thread([this, sink = std::move(sink)] {
    char buffer[4096];
    uint32_t got = 0;
    // Any failure ends the stream: ERROR_BROKEN_PIPE is the normal end.
    while (api_.read_file(read_, buffer, sizeof(buffer), &got) != 0) {
      if (got > 0) sink(std::string_view(buffer, got));
    }
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

}  // namespace silo::runtime::windows::hostprocess
