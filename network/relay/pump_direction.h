#pragma once
// PumpDirection: the I/O-free half of a byte pump, one per direction
// (source -> sink). It owns the buffer and the half-close rules, so every
// transport drives the same logic: the poll loop in byte_pump_posix.cc on Linux,
// and on Windows an overlapped named-pipe loop that issues ReadFile into
// ReadSpace(), WriteFile from WriteData(), and reports completions through
// CommitRead/OnSourceEof/CommitWrite (a pipe has no half-close, so there
// ShouldShutdownSink() means "disconnect the pipe's write side"/close).
//
// Rules: bytes are forwarded in order, exactly once; the sink is shut down
// only after the source reached EOF and every byte was written. Not
// thread-safe: one driver owns each instance.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace silo::network::relay {

class PumpDirection {
 public:
  explicit PumpDirection(size_t buffer_size = 64 * 1024);

  // Free space to read into; empty when the buffer is full or the source ended.
  std::span<char> ReadSpace();
  // `n` bytes were read into ReadSpace() (n <= its size).
  void CommitRead(size_t n);
  // The source will send no more (read returned 0 / ERROR_BROKEN_PIPE).
  void OnSourceEof();

  // Bytes waiting for the sink, oldest first.
  std::span<const char> WriteData() const;
  // `n` bytes of WriteData() were written (n <= its size).
  void CommitWrite(size_t n);

  bool WantsRead() const { return !source_eof_ && end_ < buffer_.size(); }
  bool WantsWrite() const { return end_ > begin_; }
  // EOF seen and everything flushed, but the sink not yet shut down.
  bool ShouldShutdownSink() const { return source_eof_ && !WantsWrite() && !sink_shut_down_; }
  void OnSinkShutdown() { sink_shut_down_ = true; }
  bool Done() const { return sink_shut_down_; }
  // The sink's peer is gone for good: drop buffered bytes and stop.
  void Abandon();
  bool source_eof() const { return source_eof_; }

  uint64_t bytes_forwarded() const { return forwarded_; }

 private:
  std::vector<char> buffer_;
  size_t begin_ = 0;  // first unwritten byte
  size_t end_ = 0;    // one past the last read byte
  bool source_eof_ = false;
  bool sink_shut_down_ = false;
  uint64_t forwarded_ = 0;
};

}  // namespace silo::network::relay
