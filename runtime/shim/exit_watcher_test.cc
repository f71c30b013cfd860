#include "runtime/shim/exit_watcher.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace silo::runtime::shim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Deadline In(seconds s) { return std::chrono::steady_clock::now() + s; }

// A stand-in for silo-shim's socket: accepts connections, checks each sends
// `wait`, and answers or hangs up when the test says so.
class FakeShim {
 public:
  FakeShim() {
    char tmpl[] = "/tmp/silo-exitw-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/shim.sock";
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
  }
  ~FakeShim() {
    for (int fd : conns_) ::close(fd);
    ::close(listen_fd_);
    std::filesystem::remove_all(dir_);
  }
  const std::string& path() const { return path_; }

  // Accepts the next connection and reads its request; returns its index.
  size_t AcceptWait() {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    EXPECT_GE(fd, 0);
    auto frame = ReadFrame(fd, In(seconds(5)));
    EXPECT_TRUE(frame.ok()) << frame.status();
    if (frame.ok()) {
      auto request = DecodeRequest(*frame);
      EXPECT_TRUE(request.ok() && request->op == Op::kWait) << *frame;
    }
    conns_.push_back(fd);
    return conns_.size() - 1;
  }
  void AnswerExit(size_t conn, int exit_code) {
    Response r;
    r.state = "stopped";
    r.exited = true;
    r.exit_code = exit_code;
    ASSERT_TRUE(WriteFrame(conns_[conn], EncodeResponse(r), In(seconds(5))).ok());
  }
  void HangUp(size_t conn) { ::shutdown(conns_[conn], SHUT_RDWR); }

 private:
  std::string dir_, path_;
  int listen_fd_ = -1;
  std::vector<int> conns_;
};

std::unique_ptr<ShimExitWatcher> NewWatcher() {
  auto w = ShimExitWatcher::Start();
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? std::move(*w) : nullptr;
}

TEST(ShimExitWatcherTest, AnExitAndAHangUpEachRunTheirCallbackOnce) {
  FakeShim shim;
  auto watcher = NewWatcher();
  std::promise<absl::StatusOr<Response>> exited, hung_up;
  std::atomic<int> calls{0};
  auto a = watcher->Watch(
      shim.path(), [&](absl::StatusOr<Response> r) { ++calls, exited.set_value(std::move(r)); }, In(seconds(5)));
  ASSERT_TRUE(a.ok()) << a.status();
  size_t conn_a = shim.AcceptWait();
  auto b = watcher->Watch(
      shim.path(), [&](absl::StatusOr<Response> r) { ++calls, hung_up.set_value(std::move(r)); }, In(seconds(5)));
  ASSERT_TRUE(b.ok()) << b.status();
  size_t conn_b = shim.AcceptWait();
  EXPECT_EQ(watcher->size(), 2u);

  shim.AnswerExit(conn_a, 3);
  auto got = exited.get_future().get();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->exited);
  EXPECT_EQ(got->exit_code, 3);

  shim.HangUp(conn_b);
  auto lost = hung_up.get_future().get();
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();
  EXPECT_EQ(watcher->size(), 0u);
  EXPECT_EQ(calls.load(), 2);
}

TEST(ShimExitWatcherTest, NoShimIsAnErrorAndNothingIsWatched) {
  auto watcher = NewWatcher();
  auto r = watcher->Watch("/tmp/silo-no-such-shim.sock", [](absl::StatusOr<Response>) {},
                          std::chrono::steady_clock::now() + milliseconds(50));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(watcher->size(), 0u);
}

TEST(ShimExitWatcherTest, CancelledWatchNeverCallsBack) {
  FakeShim shim;
  auto watcher = NewWatcher();
  std::atomic<int> calls{0};
  auto token = watcher->Watch(shim.path(), [&](absl::StatusOr<Response>) { ++calls; }, In(seconds(5)));
  ASSERT_TRUE(token.ok());
  size_t conn = shim.AcceptWait();
  watcher->Cancel(*token);
  EXPECT_EQ(watcher->size(), 0u);
  // The answer reaches a closed connection; a second watch still works.
  std::promise<void> second;
  auto other = watcher->Watch(shim.path(), [&](absl::StatusOr<Response>) { second.set_value(); }, In(seconds(5)));
  ASSERT_TRUE(other.ok());
  size_t conn2 = shim.AcceptWait();
  shim.HangUp(conn);
  shim.AnswerExit(conn2, 0);
  second.get_future().get();
  EXPECT_EQ(calls.load(), 0);
  watcher->Cancel(*token);  // finished tokens are ignored
}

TEST(ShimExitWatcherTest, CancelWaitsForARunningCallbackAndACallbackMayCancelItself) {
  FakeShim shim;
  auto watcher = NewWatcher();
  std::promise<void> entered;
  std::atomic<bool> finished{false};
  uint64_t self = 0;
  auto token = watcher->Watch(
      shim.path(),
      [&](absl::StatusOr<Response>) {
        watcher->Cancel(self);  // must not wait for itself
        entered.set_value();
        std::this_thread::sleep_for(milliseconds(200));
        finished = true;
      },
      In(seconds(5)));
  ASSERT_TRUE(token.ok());
  self = *token;
  shim.AnswerExit(shim.AcceptWait(), 1);
  entered.get_future().get();
  watcher->Cancel(*token);
  EXPECT_TRUE(finished.load()) << "Cancel returned while the callback still ran";
}

TEST(ShimExitWatcherTest, DestroyingTheWatcherDropsPendingWatches) {
  FakeShim shim;
  std::atomic<int> calls{0};
  {
    auto watcher = NewWatcher();
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(watcher->Watch(shim.path(), [&](absl::StatusOr<Response>) { ++calls; }, In(seconds(5))).ok());
      shim.AcceptWait();
    }
  }
  EXPECT_EQ(calls.load(), 0);
}

}  // namespace
}  // namespace silo::runtime::shim
