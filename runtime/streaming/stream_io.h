#pragma once
// Byte plumbing between a client connection and the runtime: ByteQueue
// carries client -> process bytes (stdin, port-forward upload), OutputStream
// carries process -> client bytes, ResizeQueue carries terminal sizes.
// Queues are bounded and block the producer when full, so a process that
// does not read its stdin, or a client that does not read its stdout,
// back-pressures the other side instead of growing memory. All types here
// are thread-safe.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "runtime/base/mutex.h"

namespace silo::runtime::streaming {

class ByteQueue {
 public:
  explicit ByteQueue(size_t capacity = 256 * 1024) : capacity_(capacity) {}

  // Appends `data`, blocking while the queue is full. Returns false (data
  // dropped) once the queue is closed from either side.
  bool Write(std::string_view data);
  // End of input: the reader drains what is queued, then sees EOF.
  void CloseWrite();
  // Blocks until bytes or EOF are available; returns up to `max` bytes, or
  // std::nullopt at EOF.
  std::optional<std::string> Read(size_t max = 32 * 1024);
  // Abandons the queue: pending bytes are dropped, blocked readers see EOF
  // and blocked writers return false. Idempotent.
  void Close();
  // True after Close(): the client is gone, not merely done sending, so a
  // consumer should stop waiting on the other direction too.
  bool abandoned();

 private:
  const size_t capacity_;
  silo::Mutex mu_;
  std::string buf_ ABSL_GUARDED_BY(mu_);
  bool write_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Process -> client direction. Implementations block while the peer is slow.
class OutputStream {
 public:
  virtual ~OutputStream() = default;
  // Returns false when the peer is gone; callers stop producing then.
  virtual bool Write(std::string_view data) = 0;
};

struct TerminalSize {
  uint16_t width = 0;
  uint16_t height = 0;
  bool operator==(const TerminalSize&) const = default;
};

class ResizeQueue {
 public:
  // Keeps only the newest `capacity` events; older sizes are obsolete anyway.
  void Push(TerminalSize size);
  // Blocks until a size arrives (returned) or the queue closes (nullopt).
  std::optional<TerminalSize> Next();
  std::optional<TerminalSize> TryNext();
  // Blocks until a size is queued (true) or the queue is closed and empty.
  bool Wait();
  void Close();

 private:
  static constexpr size_t kCapacity = 16;
  silo::Mutex mu_;
  std::deque<TerminalSize> sizes_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace silo::runtime::streaming
