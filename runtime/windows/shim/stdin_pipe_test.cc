#include "runtime/windows/shim/stdin_pipe.h"

#include <chrono>
#include <functional>
#include <thread>

#include "gtest/gtest.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hcs/compute_system.h"

namespace silo::runtime::windows::shim {
namespace {

using fake::FakeHcs;

constexpr char kDocument[] = R"({"Owner":"silo","SchemaVersion":{"Major":2,"Minor":1}})";

hcs::Deadline Soon() { return hcs::Clock::now() + std::chrono::seconds(10); }

bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// A running process with a stdin pipe that it has stopped reading.
class StdinPipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto system = hcs::ComputeSystem::Create(fake_.api(), "c1", kDocument, Soon());
    ASSERT_TRUE(system.ok()) << system.status().ToString();
    system_ = std::move(*system);
    ASSERT_TRUE(system_->Start(Soon()).ok());
    auto process = system_->CreateProcess(R"({"CommandLine":"app.exe","CreateStdInPipe":true})", Soon());
    ASSERT_TRUE(process.ok()) << process.status().ToString();
    process_ = std::move(*process);
    pipe_ = std::make_unique<StdinPipe>(fake_.api(), fake_.stdio_io(), process_->TakeStdio().std_input);
    fake_.StopReadingStdin("c1", process_->pid());
  }
  void TearDown() override {
    fake_.StopReadingStdin("c1", process_->pid(), false);  // a write the test left blocked ends
    if (writer_.joinable()) writer_.join();
    pipe_.reset();
    process_->Close();
    (void)system_->Terminate(Soon());
    system_->Close();
    fake_.Drain();
    EXPECT_EQ(fake_.open_stdio_handles(), 0);
    EXPECT_EQ(fake_.bad_closes(), 0);
  }

  // Starts a write that blocks on the stalled pipe.
  void StartBlockedWrite() {
    writer_ = std::thread([this] { wrote_ = pipe_->Write("data") ? 1 : 0; });
    ASSERT_TRUE(Eventually([&] { return fake_.blocked_stdin_writes() == 1; }));
  }

  FakeHcs fake_;
  std::unique_ptr<hcs::ComputeSystem> system_;
  std::unique_ptr<hcs::Process> process_;
  std::unique_ptr<StdinPipe> pipe_;
  std::thread writer_;
  std::atomic<int> wrote_{-1};
};

TEST_F(StdinPipeTest, CloseReleasesAWriteTheProcessDoesNotReadAndClosesTheHandle) {
  StartBlockedWrite();
  pipe_->Close();
  writer_.join();
  EXPECT_EQ(wrote_, 0);
  EXPECT_FALSE(pipe_->open());
  EXPECT_EQ(fake_.open_stdio_handles(), 0);
  EXPECT_FALSE(pipe_->Write("late"));
}

TEST_F(StdinPipeTest, CancelWritesFailsThePendingWriteAndKeepsThePipeOpen) {
  StartBlockedWrite();
  ASSERT_TRUE(Eventually([&] {
    pipe_->CancelWrites();
    return wrote_ >= 0;
  }));
  writer_.join();
  EXPECT_EQ(wrote_, 0);
  EXPECT_TRUE(pipe_->open());
  fake_.StopReadingStdin("c1", process_->pid(), false);
  EXPECT_TRUE(pipe_->Write("later"));
  EXPECT_EQ(fake_.ProcessStdin("c1", process_->pid()), "later");
}

TEST_F(StdinPipeTest, EndingOneWriterCancelsOnlyItsOwnWriteAndFreesAWaitingOne) {
  // Two attach sessions share the stdin: B's write blocks, A waits its turn.
  std::atomic<bool> a_gone{false}, b_gone{false};
  std::atomic<int> b_wrote{-1}, a_wrote{-1};
  std::thread b([&] { b_wrote = pipe_->Write("from b", &b_gone) ? 1 : 0; });
  ASSERT_TRUE(Eventually([&] { return fake_.blocked_stdin_writes() == 1; }));
  std::thread a([&] { a_wrote = pipe_->Write("from a", &a_gone) ? 1 : 0; });
  // A's session ends: its cancel must not touch B's write, and A leaves
  // without waiting for B.
  a_gone = true;
  ASSERT_TRUE(Eventually([&] {
    pipe_->CancelWrites(&a_gone);
    return a_wrote >= 0;
  }));
  a.join();
  EXPECT_EQ(a_wrote, 0);
  EXPECT_EQ(b_wrote, -1);
  EXPECT_EQ(fake_.blocked_stdin_writes(), 1);
  // B's write goes through once the process reads again.
  fake_.StopReadingStdin("c1", process_->pid(), false);
  b.join();
  EXPECT_EQ(b_wrote, 1);
  EXPECT_EQ(fake_.ProcessStdin("c1", process_->pid()), "from b");
}

TEST_F(StdinPipeTest, AnAbandonedWriterWritesNothing) {
  fake_.StopReadingStdin("c1", process_->pid(), false);
  std::atomic<bool> abandoned{true};
  EXPECT_FALSE(pipe_->Write("x", &abandoned));
  EXPECT_EQ(fake_.ProcessStdin("c1", process_->pid()), "");
}

}  // namespace
}  // namespace silo::runtime::windows::shim
