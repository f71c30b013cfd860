#pragma once
// StdinPipe: the write end of an HCS process's stdin pipe, shared by the
// threads that relay a client's input and the one that ends the session.
// A process that stops reading its stdin leaves a write blocked for ever
// (the pipe is full, and HCS's relay keeps it open even after the exit), so
// the session's end cannot simply join its input thread: Close and
// CancelWrites release a pending write through StdioIo::cancel (CancelIoEx
// on Windows), re-issued until the writer has left, because a cancel that
// lands before the write was issued cancels nothing. Writes are serialised
// so that two writers' data never interleave; each writer names itself by
// its `abandoned` flag, so ending one session cancels only its own write
// (attach sessions share the main process's stdin), and an abandoned writer
// waiting for its turn leaves without it.
//
// Thread safety: every method may be called from any thread, concurrently.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string_view>

#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/stdio_io.h"

namespace silo::runtime::windows::shim {

class StdinPipe {
 public:
  // Takes ownership of `handle` (closed through api.close_handle); null: no
  // stdin, every write fails.
  StdinPipe(const hcs::HcsApi& api, const hcs::StdioIo& io, void* handle);
  ~StdinPipe();  // Close()
  StdinPipe(const StdinPipe&) = delete;
  StdinPipe& operator=(const StdinPipe&) = delete;

  // Writes all of `data`: false when the pipe is closed, the process is
  // gone, or the write was cancelled. A writer that finds `abandoned` set
  // once it is its turn writes nothing (its session has ended).
  bool Write(std::string_view data, const std::atomic<bool>* abandoned = nullptr);
  // Makes the write pending now fail if `writer` (its `abandoned` flag)
  // made it, or whoever made it when null; wakes `writer` if it waits for
  // its turn. Later writes go on.
  void CancelWrites(const std::atomic<bool>* writer = nullptr);
  // Releases a pending write, then closes the handle; later writes fail.
  void Close();
  bool open() const;

 private:
  const hcs::HcsApi& api_;
  const hcs::StdioIo& io_;
  mutable std::mutex mu_;
  std::condition_variable writer_left_;
  std::condition_variable turn_;              // a Write's turn, or its abandonment
  bool busy_ = false;                         // guarded by mu_; a Write has its turn
  const std::atomic<bool>* owner_ = nullptr;  // guarded by mu_; that Write's flag
  void* handle_;           // guarded by mu_; null once closed
  bool closing_ = false;   // guarded by mu_
  bool in_write_ = false;  // guarded by mu_; a writer is inside io_.write
};

}  // namespace silo::runtime::windows::shim
