#include "runtime/windows/shim/monitor_requests.h"

#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "gtest/gtest.h"
#include "runtime/windows/fake/fake_hcs.h"

namespace silo::runtime::windows::shim {
namespace {

namespace wire = runtime::shim;
using fake::FakeHcs;
using wire::Op;

Deadline Soon() { return hcs::Clock::now() + std::chrono::seconds(10); }

class MonitorRequestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-winshim-req-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    MonitorOptions o;
    o.id = "c1";
    o.document_json = R"({"Owner":"silo"})";
    o.process_json = R"({"CommandLine":"app.exe"})";
    o.log_path = dir_ + "/c1.log";
    o.exit_path = dir_ + "/c1.exit";
    auto m = ContainerMonitor::Create(fake_.api(), fake_.stdio_io(), o, Soon());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    monitor_ = std::move(*m);
  }
  void TearDown() override {
    monitor_.reset();
    fake_.Drain();
    std::system(("rm -rf " + dir_).c_str());
  }

  wire::Response Serve(Op op, int signal = 0) {
    wire::Request r;
    r.op = op;
    r.signal = signal;
    return ServeMonitorRequest(*monitor_, r, &shutdown_);
  }

  FakeHcs fake_;
  std::string dir_;
  std::unique_ptr<ContainerMonitor> monitor_;
  std::atomic<bool> shutdown_{false};
};

TEST_F(MonitorRequestsTest, StateFollowsTheContainerFromCreatedToStopped) {
  EXPECT_EQ(Serve(Op::kState).state, "created");
  ASSERT_EQ(Serve(Op::kStart).code, 0);
  EXPECT_EQ(Serve(Op::kStart).code, wire::kCodeFailedPrecondition);
  wire::Response running = Serve(Op::kState);
  EXPECT_EQ(running.state, "running");
  ASSERT_NE(running.pid, 0);
  fake_.ExitProcess("c1", static_cast<uint32_t>(running.pid), 42);
  wire::Response waited = Serve(Op::kWait);
  EXPECT_EQ(waited.state, "stopped");
  EXPECT_TRUE(waited.exited);
  EXPECT_EQ(waited.exit_code, 42);
  EXPECT_NE(waited.exited_at_unix_nanos, 0);
  EXPECT_EQ(Serve(Op::kState).exit_code, 42);
  EXPECT_EQ(Serve(Op::kReopenLog).code, 0);
  EXPECT_FALSE(shutdown_);
  EXPECT_EQ(Serve(Op::kShutdown).code, 0);
  EXPECT_TRUE(shutdown_);
  EXPECT_EQ(fake_.SystemState("c1"), "Stopped");
}

TEST_F(MonitorRequestsTest, KillBeforeStartStopsTheContainerWithStatusOne) {
  EXPECT_EQ(Serve(Op::kKill, 9).code, 0);
  wire::Response state = Serve(Op::kState);
  EXPECT_EQ(state.state, "stopped");
  EXPECT_TRUE(state.exited);
  EXPECT_EQ(state.exit_code, 1);
}

TEST_F(MonitorRequestsTest, AnUnsupportedSignalIsInvalidArgument) {
  ASSERT_EQ(Serve(Op::kStart).code, 0);
  wire::Response r = Serve(Op::kKill, 10);
  EXPECT_EQ(r.code, wire::kCodeInvalidArgument);
  EXPECT_NE(r.message.find("not supported for Windows containers"), std::string::npos) << r.message;
  EXPECT_EQ(Serve(Op::kState).state, "running");
}

TEST_F(MonitorRequestsTest, AWaitWithATimeoutAnswersDeadlineExceeded) {
  ASSERT_EQ(Serve(Op::kStart).code, 0);
  wire::Request wait;
  wait.op = Op::kWait;
  wait.timeout_ms = 20;
  EXPECT_EQ(ServeMonitorRequest(*monitor_, wait, &shutdown_).code, wire::kCodeDeadlineExceeded);
  // And the codec carries the bound.
  wire::Request decoded;
  std::string error;
  ASSERT_TRUE(wire::DecodeRequestJson(wire::EncodeRequest(wait), &decoded, &error)) << error;
  EXPECT_EQ(decoded.timeout_ms, 20);
}

TEST_F(MonitorRequestsTest, ExecReturnsOutputAndATimeoutIsDeadlineExceeded) {
  ASSERT_EQ(Serve(Op::kStart).code, 0);
  const uint32_t main_pid = static_cast<uint32_t>(Serve(Op::kState).pid);
  wire::Request exec;
  exec.op = Op::kExec;
  exec.args = {"hostname"};
  EXPECT_EQ(ServeMonitorRequest(*monitor_, exec, &shutdown_).code, wire::kCodeInvalidArgument);
  exec.process = R"({"CommandLine":"hostname"})";
  std::thread process([&] {
    for (int i = 0; i < 5000 && fake_.ProcessParameters("c1", main_pid + 4).empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    fake_.WriteProcessOutput("c1", main_pid + 4, false, "node-1\r\n");
    fake_.ExitProcess("c1", main_pid + 4, 0);
  });
  wire::Response out = ServeMonitorRequest(*monitor_, exec, &shutdown_);
  process.join();
  EXPECT_EQ(out.code, 0) << out.message;
  EXPECT_TRUE(out.exited);
  EXPECT_EQ(out.stdout_data, "node-1\r\n");

  exec.timeout_ms = 20;
  wire::Response late = ServeMonitorRequest(*monitor_, exec, &shutdown_);
  EXPECT_EQ(late.code, wire::kCodeDeadlineExceeded);
  EXPECT_FALSE(fake_.ProcessRunning("c1", main_pid + 8));

  exec.tty = true;
  EXPECT_EQ(ServeMonitorRequest(*monitor_, exec, &shutdown_).code, wire::kCodeFailedPrecondition);
  EXPECT_EQ(Serve(Op::kAttach).code, wire::kCodeFailedPrecondition);
}

}  // namespace
}  // namespace silo::runtime::windows::shim
