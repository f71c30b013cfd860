#include "runtime/windows/shim/stdin_feeder.h"

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace silo::runtime::windows::shim {
namespace {

using namespace std::chrono_literals;

// A process's stdin that takes input only when the test lets it.
class GatedStdin {
 public:
  StdinFeeder::Ops Ops() {
    return {
        .write =
            [this](std::string_view data, const std::atomic<bool>* abandoned) {
              std::unique_lock<std::mutex> lock(mu_);
              cv_.wait(lock, [&] { return open_ || cancelled_; });
              if (cancelled_ || *abandoned) return;
              received_.append(data);
            },
        .close =
            [this] {
              std::lock_guard<std::mutex> lock(mu_);
              closed_ = true;
            },
        .cancel =
            [this](const std::atomic<bool>*) {
              std::lock_guard<std::mutex> lock(mu_);
              cancelled_ = true;
              cv_.notify_all();
            },
    };
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  std::string Received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  bool Closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  bool cancelled_ = false;
  bool closed_ = false;
  std::string received_;
};

// Input numbered chunk by chunk, so a gap or a splice shows.
std::string Chunk(int i) { return std::string(64 * 1024 - 8, static_cast<char>('a' + i % 26)) + std::to_string(10000000 + i); }

TEST(StdinFeederTest, MoreThanTheQueueHoldsReachesASlowReaderWholeAndInOrder) {
  GatedStdin stdin_;
  StdinFeeder feeder(stdin_.Ops());
  const int chunks = static_cast<int>(2 * StdinFeeder::kMaxQueued / Chunk(0).size()) + 3;
  std::string sent;
  auto pushing = std::async(std::launch::async, [&] {
    for (int i = 0; i < chunks; ++i) {
      feeder.Push(Chunk(i));
      sent += Chunk(i);
    }
    feeder.PushEof();
  });
  // The reader takes nothing yet: the client is held back, not cut off.
  EXPECT_EQ(pushing.wait_for(200ms), std::future_status::timeout);
  stdin_.Open();
  pushing.get();
  // EOF is passed on once everything queued before it is written.
  for (int i = 0; i < 2000 && !stdin_.Closed(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(stdin_.Closed());
  EXPECT_TRUE(stdin_.Received() == sent) << "received " << stdin_.Received().size() << " of " << sent.size()
                                         << " bytes, or out of order";
}

TEST(StdinFeederTest, APushWaitingForRoomReturnsWhenTheFeederStops) {
  GatedStdin stdin_;  // never opened: the process reads nothing
  StdinFeeder feeder(stdin_.Ops());
  auto pushing = std::async(std::launch::async, [&] {
    for (int i = 0; i < 3 * static_cast<int>(StdinFeeder::kMaxQueued / Chunk(0).size()); ++i) feeder.Push(Chunk(i));
  });
  EXPECT_EQ(pushing.wait_for(200ms), std::future_status::timeout);
  // Two threads end the session at once (process exit and client gone).
  std::thread other([&] { feeder.Stop(); });
  feeder.Stop();
  other.join();
  pushing.get();  // hangs here (the test's timeout) if Stop left Push waiting
  EXPECT_TRUE(stdin_.Received().empty());
  EXPECT_FALSE(stdin_.Closed());
}

}  // namespace
}  // namespace silo::runtime::windows::shim
