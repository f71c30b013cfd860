#include "runtime/windows/shim/memory_duplex.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>

namespace silo::runtime::windows::shim {
namespace {

constexpr size_t kCapacity = 256 * 1024;

// One direction of the connection.
struct OneWay {
  std::mutex mu;
  std::condition_variable cv;
  std::string buffered;          // guarded by mu
  bool writer_gone = false;      // guarded by mu
  bool reader_gone = false;      // guarded by mu
  bool read_cancelled = false;   // guarded by mu
};

class MemoryEnd final : public Duplex {
 public:
  MemoryEnd(std::shared_ptr<OneWay> in, std::shared_ptr<OneWay> out) : in_(std::move(in)), out_(std::move(out)) {}
  ~MemoryEnd() override {
    {
      std::lock_guard<std::mutex> lock(out_->mu);
      out_->writer_gone = true;
    }
    out_->cv.notify_all();
    {
      std::lock_guard<std::mutex> lock(in_->mu);
      in_->reader_gone = true;
    }
    in_->cv.notify_all();
  }

  int64_t Read(char* buf, size_t len) override {
    std::unique_lock<std::mutex> lock(in_->mu);
    in_->cv.wait(lock, [&] { return in_->read_cancelled || !in_->buffered.empty() || in_->writer_gone; });
    if (in_->read_cancelled) return -1;
    if (in_->buffered.empty()) return 0;
    const size_t n = std::min(len, in_->buffered.size());
    std::memcpy(buf, in_->buffered.data(), n);
    in_->buffered.erase(0, n);
    in_->cv.notify_all();  // room for a blocked writer
    return static_cast<int64_t>(n);
  }

  bool Write(std::string_view data) override {
    std::unique_lock<std::mutex> lock(out_->mu);
    while (!data.empty()) {
      out_->cv.wait(lock, [&] { return out_->reader_gone || out_->buffered.size() < kCapacity; });
      if (out_->reader_gone) return false;
      const size_t n = std::min(data.size(), kCapacity - out_->buffered.size());
      out_->buffered.append(data.substr(0, n));
      data.remove_prefix(n);
      out_->cv.notify_all();
    }
    return true;
  }

  void CancelRead() override {
    {
      std::lock_guard<std::mutex> lock(in_->mu);
      in_->read_cancelled = true;
    }
    in_->cv.notify_all();
  }

 private:
  std::shared_ptr<OneWay> in_;
  std::shared_ptr<OneWay> out_;
};

}  // namespace

std::pair<std::unique_ptr<Duplex>, std::unique_ptr<Duplex>> MemoryDuplexPair() {
  auto a_to_b = std::make_shared<OneWay>();
  auto b_to_a = std::make_shared<OneWay>();
  return {std::make_unique<MemoryEnd>(b_to_a, a_to_b), std::make_unique<MemoryEnd>(a_to_b, b_to_a)};
}

}  // namespace silo::runtime::windows::shim
