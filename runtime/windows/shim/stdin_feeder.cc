#include "runtime/windows/shim/stdin_feeder.h"

#include <chrono>

namespace silo::runtime::windows::shim {
namespace {

constexpr std::chrono::milliseconds kFeederCancelRetry{20};

}  // namespace

StdinFeeder::StdinFeeder(Ops ops) : ops_(std::move(ops)), thread_([this] { Run(); }) {}

StdinFeeder::~StdinFeeder() { Stop(); }

void StdinFeeder::Push(std::string data) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    // One chunk larger than the limit still goes once the queue is empty.
    cv_.wait(lock, [&] { return stopping_ || queued_bytes_ == 0 || queued_bytes_ + data.size() <= kMaxQueued; });
    if (stopping_ || eof_) return;
    queued_bytes_ += data.size();
    queue_.push_back(std::move(data));
  }
  cv_.notify_all();
}

void StdinFeeder::PushEof() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    eof_ = true;
  }
  cv_.notify_all();
}

void StdinFeeder::Run() {
  while (true) {
    std::string data;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || eof_ || !queue_.empty(); });
      if (stopping_) break;
      if (queue_.empty()) {  // eof_, everything before it written
        lock.unlock();
        ops_.close();
        break;
      }
      data = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= data.size();
    }
    cv_.notify_all();  // room for a waiting Push
    ops_.write(data, &abandoned_);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
}

void StdinFeeder::Stop() {
  std::call_once(stop_once_, [this] { StopOnce(); });
}

void StdinFeeder::StopOnce() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
    queued_bytes_ = 0;
  }
  abandoned_ = true;
  cv_.notify_all();
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, kFeederCancelRetry, [&] { return done_; })) {
    lock.unlock();
    ops_.cancel(&abandoned_);
    lock.lock();
  }
  lock.unlock();
  thread_.join();
}

}  // namespace silo::runtime::windows::shim
