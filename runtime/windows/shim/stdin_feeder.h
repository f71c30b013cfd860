#pragma once
// StdinFeeder: a session's stdin, written on its own thread. The thread
// that reads the client's frames only queues what they carry, so a process
// that stops reading its stdin (a write blocked for ever) never keeps that
// thread from seeing the client leave. Stop ends the feeder whatever the
// process does: queued input is dropped and the pending write is released
// through `cancel`, re-issued until the writer has left (a cancel landing
// just before the write began cancels nothing).
//
// Push blocks while kMaxQueued bytes wait, so a slow reader slows the client
// down (the stream is never cut or spliced), as hcsshim's blocking copy does;
// Stop wakes it.
//
// Thread safety: Push/PushEof from one thread, Stop from any (concurrent
// callers all return once the feeder has ended); the callbacks run on the
// feeder's thread (`cancel` on Stop's).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace silo::runtime::windows::shim {

class StdinFeeder {
 public:
  struct Ops {
    // Writes one chunk; writes nothing once `abandoned` is set.
    std::function<void(std::string_view data, const std::atomic<bool>* abandoned)> write;
    std::function<void()> close;   // the client's end of input (after what it queued)
    // Releases the pending write this feeder made (named by its flag).
    std::function<void(const std::atomic<bool>* abandoned)> cancel;
  };

  explicit StdinFeeder(Ops ops);
  ~StdinFeeder();  // Stop()
  StdinFeeder(const StdinFeeder&) = delete;
  StdinFeeder& operator=(const StdinFeeder&) = delete;

  // Queues input, first waiting while kMaxQueued bytes are queued; dropped
  // once stopped.
  void Push(std::string data);
  void PushEof();
  // Drops what is queued, releases the pending write and joins. Idempotent.
  void Stop();

  static constexpr size_t kMaxQueued = 4u << 20;

 private:
  void Run();
  void StopOnce();

  const Ops ops_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // guarded by mu_
  size_t queued_bytes_ = 0;        // guarded by mu_
  bool eof_ = false;               // guarded by mu_; after the queue drains
  bool stopping_ = false;          // guarded by mu_
  bool done_ = false;              // guarded by mu_; the thread has left its loop
  std::once_flag stop_once_;
  std::atomic<bool> abandoned_{false};
  std::thread thread_;
};

}  // namespace silo::runtime::windows::shim
