#include "network/relay/pump_direction.h"

#include <cstring>

namespace silo::network::relay {

PumpDirection::PumpDirection(size_t buffer_size) : buffer_(buffer_size == 0 ? 1 : buffer_size) {}

std::span<char> PumpDirection::ReadSpace() {
  if (source_eof_) return {};
  if (begin_ == end_) {
    begin_ = end_ = 0;  // empty: reuse from the start
  } else if (end_ == buffer_.size() && begin_ > 0) {
    // Full at the tail: slide the unwritten bytes down rather than stall.
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  return std::span<char>(buffer_.data() + end_, buffer_.size() - end_);
}

void PumpDirection::CommitRead(size_t n) { end_ += n; }

void PumpDirection::OnSourceEof() { source_eof_ = true; }

std::span<const char> PumpDirection::WriteData() const {
  return std::span<const char>(buffer_.data() + begin_, end_ - begin_);
}

void PumpDirection::CommitWrite(size_t n) {
  begin_ += n;
  forwarded_ += n;
  if (begin_ == end_) begin_ = end_ = 0;
}

void PumpDirection::Abandon() {
  source_eof_ = true;
  sink_shut_down_ = true;
  begin_ = end_ = 0;
}

}  // namespace silo::network::relay
