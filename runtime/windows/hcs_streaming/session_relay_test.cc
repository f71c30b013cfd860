#include "runtime/windows/hcs_streaming/session_relay.h"

#include <mutex>
#include <thread>

#include "gtest/gtest.h"
#include "runtime/windows/shim/memory_duplex.h"

namespace silo::runtime::windows::hcs_streaming {
namespace {

using shim::SessionFrameType;
using runtime::streaming::ByteQueue;
using runtime::streaming::ExecStreams;
using runtime::streaming::ResizeQueue;

class Collect final : public runtime::streaming::OutputStream {
 public:
  explicit Collect(bool accept = true) : accept_(accept) {}
  bool Write(std::string_view data) override {
    std::lock_guard<std::mutex> lock(mu_);
    data_.append(data);
    return accept_;
  }
  std::string data() {
    std::lock_guard<std::mutex> lock(mu_);
    return data_;
  }

 private:
  const bool accept_;
  std::mutex mu_;
  std::string data_;
};

// The monitor's end: reads what silod sends until `until` arrives.
std::vector<shim::SessionFrame> ReadUntil(shim::Duplex& conn, SessionFrameType until) {
  std::vector<shim::SessionFrame> got;
  while (auto f = shim::ReadSessionFrame(conn)) {
    got.push_back(*f);
    if (f->type == until) break;
  }
  return got;
}

TEST(SessionRelayTest, StdinAndSizesGoToTheMonitorOutputAndTheExitCodeComeBack) {
  auto [silod, monitor] = shim::MemoryDuplexPair();
  ByteQueue in;
  ResizeQueue resize;
  Collect out, err;
  ExecStreams streams{&in, &out, nullptr, &resize, true};
  std::thread shim_side([&, conn = monitor.get()] {
    SessionFrameType last = SessionFrameType::kStdinEof;
    std::vector<shim::SessionFrame> got = ReadUntil(*conn, last);
    std::string stdin_data;
    bool resized = false;
    for (const auto& f : got) {
      if (f.type == SessionFrameType::kStdin) stdin_data += f.payload;
      uint16_t w = 0, h = 0;
      if (f.type == SessionFrameType::kResize && shim::ParseResize(f.payload, &w, &h)) resized = w == 100 && h == 30;
    }
    EXPECT_EQ(stdin_data, "dir\r\n");
    EXPECT_TRUE(resized);
    shim::SessionWriter w(*conn);
    EXPECT_TRUE(w.Send(SessionFrameType::kStdout, "listing"));
    EXPECT_TRUE(w.Send(SessionFrameType::kExit, shim::ExitPayload(5)));
  });
  resize.Push({100, 30});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the size goes out before the input
  in.Write("dir\r\n");
  in.CloseWrite();
  absl::StatusOr<RelayEnd> end = RelaySession(*silod, streams, RelayOptions{});
  shim_side.join();
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(end->kind, RelayEnd::Kind::kExited);
  EXPECT_EQ(end->exit_code, 5);
  EXPECT_EQ(out.data(), "listing");
}

TEST(SessionRelayTest, AttachWithoutStdinOnceDetachesOnStdinEof) {
  auto [silod, monitor] = shim::MemoryDuplexPair();
  ByteQueue in;
  Collect out;
  ExecStreams streams{&in, &out, nullptr, nullptr, false};
  in.Write("x");
  in.CloseWrite();
  RelayOptions options;
  options.detach_on_stdin_eof = true;
  absl::StatusOr<RelayEnd> end = RelaySession(*silod, streams, options);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(end->kind, RelayEnd::Kind::kDetached);
  silod.reset();
  std::vector<shim::SessionFrame> got = ReadUntil(*monitor, SessionFrameType::kStdinEof);
  ASSERT_EQ(got.size(), 1u) << "the input, and no EOF: the container's stdin stays open";
  EXPECT_EQ(got[0].payload, "x");
}

TEST(SessionRelayTest, AClientThatStopsReadingEndsTheSessionAsGone) {
  auto [silod, monitor] = shim::MemoryDuplexPair();
  Collect refusing(/*accept=*/false);
  ExecStreams streams{nullptr, &refusing, nullptr, nullptr, false};
  shim::SessionWriter w(*monitor);
  ASSERT_TRUE(w.Send(SessionFrameType::kStdout, "data"));
  absl::StatusOr<RelayEnd> end = RelaySession(*silod, streams, RelayOptions{});
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(end->kind, RelayEnd::Kind::kClientGone);
}

TEST(SessionRelayTest, AMonitorFailureOrAClosedSessionIsAnError) {
  {
    auto [silod, monitor] = shim::MemoryDuplexPair();
    Collect out;
    ExecStreams streams{nullptr, &out, nullptr, nullptr, false};
    shim::SessionWriter w(*monitor);
    ASSERT_TRUE(w.Send(SessionFrameType::kFailed, "wait failed"));
    absl::StatusOr<RelayEnd> end = RelaySession(*silod, streams, RelayOptions{});
    EXPECT_EQ(end.status().code(), absl::StatusCode::kInternal);
    EXPECT_NE(end.status().message().find("wait failed"), std::string::npos);
  }
  {
    auto [silod, monitor] = shim::MemoryDuplexPair();
    Collect out;
    ExecStreams streams{nullptr, &out, nullptr, nullptr, false};
    monitor.reset();  // the shim died
    absl::StatusOr<RelayEnd> end = RelaySession(*silod, streams, RelayOptions{});
    EXPECT_EQ(end.status().code(), absl::StatusCode::kUnavailable);
  }
}

TEST(SessionRelayTest, AnAbandonedStdinEndsTheSessionAsGone) {
  auto [silod, monitor] = shim::MemoryDuplexPair();
  ByteQueue in;
  Collect out;
  ExecStreams streams{&in, &out, nullptr, nullptr, false};
  std::thread client([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    in.Close();
  });
  absl::StatusOr<RelayEnd> end = RelaySession(*silod, streams, RelayOptions{});
  client.join();
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(end->kind, RelayEnd::Kind::kClientGone);
}

}  // namespace
}  // namespace silo::runtime::windows::hcs_streaming
