// The fake host's process model: a client killed with SIGKILL has its
// handles closed by the host, as Windows closes a dead process's handles,
// and so its ShouldTerminateOnLastHandleClosed systems end while the others
// stay.
#include "cri/daemon/windows/fake_host/host_server.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cri/daemon/windows/fake_host/client_child.h"
#include "cri/daemon/windows/fake_host/remote_hcs.h"
#include "cri/daemon/windows/fake_host/remote_processes.h"
#include "gtest/gtest.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hostprocess/fake/fake_process_api.h"

namespace silo::cri::fake_host {
namespace {

namespace fs = std::filesystem;

class FakeHostServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-fakehost-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    HostEntries entries;
    ServeHcs(entries, hcs_);
    ServeProcesses(entries, processes_.api());
    auto server = FakeHostServer::Start(dir_ + "/host.sock", std::move(entries), [this] { return hcs_.ReapHolder(0); });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    holder_.Kill();
    server_.reset();
    hcs_.Drain();
    EXPECT_EQ(hcs_.bad_closes(), 0);
    EXPECT_EQ(processes_.bad_closes(), 0);
    fs::remove_all(dir_);
  }

  std::string Output() {
    std::ifstream in(dir_ + "/holder.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Starts the holder and waits until it holds its systems and `jobs`.
  bool StartHolder(const std::vector<std::string>& jobs = {}) {
    std::string error;
    std::vector<std::string> args = {dir_ + "/host.sock"};
    args.insert(args.end(), jobs.begin(), jobs.end());
    if (!holder_.Start(BesideThisTest("fake_host_system_holder"), args, dir_ + "/holder.log", &error)) {
      ADD_FAILURE() << error;
      return false;
    }
    for (int i = 0; i < 2000; ++i) {
      if (Output().find("ready\n") != std::string::npos) return true;
      if (holder_.Exited()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  runtime::windows::fake::FakeHcs hcs_;
  runtime::windows::hostprocess::fake::FakeProcessApi processes_;
  std::string dir_;
  std::unique_ptr<FakeHostServer> server_;
  ClientChild holder_;
};

TEST_F(FakeHostServerTest, AKilledClientsShouldTerminateSystemEndsAndItsOtherSystemStays) {
  ASSERT_TRUE(StartHolder()) << Output();
  EXPECT_EQ(hcs_.SystemState("doomed"), "Running");
  EXPECT_EQ(hcs_.SystemState("kept"), "Running");
  EXPECT_EQ(hcs_.open_system_handles(0), 2) << "the client's two handles are the host's process 0";
  EXPECT_EQ(server_->live_clients(), 1);

  ASSERT_TRUE(holder_.Kill());
  ASSERT_TRUE(server_->WaitForDeaths(1, std::chrono::seconds(20)));
  const std::vector<FakeHostServer::Death> deaths = server_->deaths();
  ASSERT_EQ(deaths.size(), 1u);
  EXPECT_EQ(deaths[0].hcs_handles, 2);
  EXPECT_EQ(deaths[0].other_handles, 0);
  EXPECT_EQ(server_->live_clients(), 0);
  EXPECT_EQ(hcs_.open_system_handles(0), 0);
  // Its last handle closed with the process: HCS terminated it.
  EXPECT_FALSE(hcs_.SystemExists("doomed"));
  EXPECT_EQ(hcs_.SystemState("kept"), "Running");
}

TEST_F(FakeHostServerTest, AJobHandleHeldOnlyByAKilledClientIsClosedWithIt) {
  ASSERT_TRUE(StartHolder({"only-holder", "shared"})) << Output();
  // Another program holds "shared" too; nobody but the client holds "only-holder".
  processes_.HoldJob("shared");
  EXPECT_TRUE(processes_.JobExists("only-holder"));
  EXPECT_EQ(processes_.HandlesOf(0), 2) << "the client's job handles are the host's process 0";

  ASSERT_TRUE(holder_.Kill());
  ASSERT_TRUE(server_->WaitForDeaths(1, std::chrono::seconds(20)));
  const std::vector<FakeHostServer::Death> deaths = server_->deaths();
  ASSERT_EQ(deaths.size(), 1u);
  EXPECT_EQ(deaths[0].other_handles, 2) << "its two job handles";
  EXPECT_EQ(processes_.HandlesOf(0), 0);
  EXPECT_FALSE(processes_.JobExists("only-holder")) << "its last handle closed with the client";
  EXPECT_TRUE(processes_.JobExists("shared")) << "another program still holds it";
  processes_.ReleaseJob("shared");
  EXPECT_FALSE(processes_.JobExists("shared"));
}

TEST_F(FakeHostServerTest, AClientThatNeverDiedHasNothingReaped) {
  ASSERT_TRUE(StartHolder()) << Output();
  EXPECT_FALSE(server_->WaitForDeaths(1, std::chrono::milliseconds(200)));
  EXPECT_EQ(hcs_.SystemState("doomed"), "Running");
  EXPECT_EQ(hcs_.open_system_handles(0), 2);
}

}  // namespace
}  // namespace silo::cri::fake_host
