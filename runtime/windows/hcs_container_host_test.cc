// The Windows container host's call sequences against the in-memory
// computecore fake: life cycle, signals, every failure path with its
// rollback, exec, and a silod restart that re-opens running systems.
#include "runtime/windows/hcs_container_host.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <future>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/host_path/fake/fake_host_path_api.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows {
namespace {

using fake::FakeCall;
using fake::FakeFault;
using fake::FakeHcs;

// Polls `cond` for up to 5 s: the host reacts to exits on its own threads.
template <typename F>
bool Eventually(F cond) {
  for (int i = 0; i < 2500; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return cond();
}

class HcsContainerHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.mutable_metadata()->set_name("web");
    config_.mutable_windows()->mutable_resources()->set_memory_limit_in_bytes(256 << 20);
    sandbox_.id = "pod1";
    sandbox_.hostname = "web-0";
    sandbox_.netns_path = "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59";
    // One per process too: two runs of the suite (a sanitizer stage beside a
    // developer's run) must not share a state dir.
    state_dir_ = std::filesystem::path(::testing::TempDir()) /
                 (std::string("hcs_host_") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                  std::to_string(::getpid()));
    std::filesystem::remove_all(state_dir_);
    paths_.AddVolume(L"C:", L"{4c1b1ff0-8a3f-4c1a-9d9a-1234567890ab}");
    host_ = NewHost();
  }

  void TearDown() override {
    host_.reset();
    std::filesystem::remove_all(state_dir_);
    EXPECT_EQ(fake_.bad_closes(), 0) << "a handle was closed twice";
  }

  // Execs `command` in container `id` (main process `pid`) and lets the exec
  // process (pid + 4: the fake numbers processes 100, 104, ...) exit 0 once
  // it runs. Bounds are generous: the callers check what the process got,
  // and a TSan build on a loaded machine can take seconds to start it.
  bool ExecThatExits(const std::string& id, uint32_t pid, std::vector<std::string> command) {
    std::thread exiter([&] {
      for (int i = 0; i < 30000 && !fake_.ProcessRunning(id, pid + 4); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      fake_.ExitProcess(id, pid + 4, 0);
    });
    const bool ok = host_->Exec(id, id, std::move(command), std::chrono::seconds(60)).ok();
    exiter.join();
    return ok;
  }

  std::unique_ptr<HcsContainerHost> NewHost() {
    HcsContainerHostOptions o;
    o.call_timeout = std::chrono::seconds(5);
    o.exit_shutdown_grace = std::chrono::milliseconds(200);
    o.state_dir = state_dir_.string();
    o.prepare_rootfs = [this](const container::CreateSpec& spec) -> absl::StatusOr<WindowsRootfs> {
      if (!fail_rootfs_.ok()) return fail_rootfs_;
      prepared_.push_back(spec.id);
      return WindowsRootfs{{{"a1b2c3d4-0000-5000-8000-000000000012", "C:\\silo\\layers\\12"}},
                           "\\\\?\\Volume{4c1b1ff0-8a3f-4c1a-9d9a-1234567890ab}\\"};
    };
    o.release_rootfs = [this](const std::string& id) {
      released_.push_back(id);
      return absl::OkStatus();
    };
    o.host_paths = &paths_.api();
    return std::make_unique<HcsContainerHost>(&fake_.api(), o);
  }

  container::CreateSpec Spec(const std::string& id) {
    container::CreateSpec s;
    s.id = id;
    s.sandbox = &sandbox_;
    s.config = &config_;
    s.args = {"cmd.exe", "/c", "echo hello world"};
    s.env = {"PATH=C:\\Windows\\system32", "EMPTY="};
    s.cwd = "C:\\app";
    s.username = "ContainerUser";
    return s;
  }

  FakeHcs fake_;
  host_path::fake::FakeHostPathApi paths_;
  std::filesystem::path state_dir_;
  ::runtime::v1::ContainerConfig config_;
  model::SandboxRecord sandbox_;
  absl::Status fail_rootfs_;
  std::vector<std::string> prepared_, released_;
  std::unique_ptr<HcsContainerHost> host_;
};

TEST_F(HcsContainerHostTest, CreateStartExitRemove) {
  absl::StatusOr<std::string> handle = host_->Create(Spec("c1"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_TRUE(fake_.SystemExists("c1"));
  EXPECT_EQ(fake_.SystemState("c1"), "Created");
  absl::StatusOr<container::ProcessState> st = host_->State("c1", *handle);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_FALSE(st->exited);
  EXPECT_FALSE(st->started);

  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  EXPECT_EQ(fake_.SystemState("c1"), "Running");
  st = host_->State("c1", *handle);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_FALSE(st->exited);
  EXPECT_TRUE(st->started);
  ASSERT_GT(st->pid, 0);
  EXPECT_TRUE(fake_.ProcessRunning("c1", static_cast<uint32_t>(st->pid)));

  EXPECT_EQ(host_->Wait("c1", *handle, std::chrono::milliseconds(10)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  fake_.ExitProcess("c1", static_cast<uint32_t>(st->pid), 3);
  absl::StatusOr<container::ProcessState> done = host_->Wait("c1", *handle, std::chrono::seconds(5));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(done->exited);
  EXPECT_EQ(done->exit_code, 3);
  EXPECT_GT(done->exited_at_ns, 0);
  EXPECT_EQ(host_->State("c1", *handle)->exit_code, 3);

  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  EXPECT_FALSE(fake_.SystemExists("c1"));
  EXPECT_EQ(released_, std::vector<std::string>{"c1"});
  ASSERT_TRUE(host_->Remove("c1", *handle).ok()) << "idempotent";
  fake_.Drain();
  EXPECT_EQ(fake_.open_system_handles(), 0);
  EXPECT_EQ(fake_.open_process_handles(), 0);
}

TEST_F(HcsContainerHostTest, UpdateResourcesModifiesTheRunningSystemAndRefusesAStoppedOne) {
  absl::StatusOr<std::string> handle = host_->Create(Spec("c1"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  ::runtime::v1::WindowsContainerResources memory_and_max;
  memory_and_max.set_memory_limit_in_bytes(512 << 20);
  memory_and_max.set_cpu_maximum(5000);
  // Created, not started: HCS would refuse, and the limits are the document's.
  absl::Status s = host_->UpdateWindowsResources("c1", *handle, memory_and_max);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(fake_.Modifications("c1").empty());

  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  s = host_->UpdateWindowsResources("c1", *handle, memory_and_max);
  ASSERT_TRUE(s.ok()) << s;
  ::runtime::v1::WindowsContainerResources count;
  count.set_cpu_count(2);
  ASSERT_TRUE(host_->UpdateWindowsResources("c1", *handle, count).ok());
  ::runtime::v1::WindowsContainerResources shares;
  shares.set_cpu_shares(300);
  ASSERT_TRUE(host_->UpdateWindowsResources("c1", *handle, shares).ok());
  // Refused before anything is sent.
  ::runtime::v1::WindowsContainerResources mixed = count;
  mixed.set_cpu_shares(300);
  EXPECT_EQ(host_->UpdateWindowsResources("c1", *handle, mixed).code(), absl::StatusCode::kInvalidArgument);
  ::runtime::v1::WindowsContainerResources rootfs;
  rootfs.set_rootfs_size_in_bytes(1 << 30);
  EXPECT_EQ(host_->UpdateWindowsResources("c1", *handle, rootfs).code(), absl::StatusCode::kUnimplemented);
  const std::vector<std::string> expected = {
      R"({"RequestType":"Update","ResourcePath":"Container/Memory/SizeInMB","Settings":512})",
      R"({"RequestType":"Update","ResourcePath":"Container/Processor","Settings":{"Maximum":5000}})",
      R"({"RequestType":"Update","ResourcePath":"Container/Processor","Settings":{"Count":2}})",
      R"({"RequestType":"Update","ResourcePath":"Container/Processor","Settings":{"Weight":300}})",
  };
  EXPECT_EQ(fake_.Modifications("c1"), expected);

  absl::StatusOr<container::ProcessState> st = host_->State("c1", *handle);
  ASSERT_TRUE(st.ok()) << st.status();
  fake_.ExitProcess("c1", static_cast<uint32_t>(st->pid), 0);
  ASSERT_TRUE(host_->Wait("c1", *handle, std::chrono::seconds(5)).ok());
  s = host_->UpdateWindowsResources("c1", *handle, memory_and_max);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("not running"));
  EXPECT_EQ(fake_.Modifications("c1"), expected);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
}

// The manager's exit watch: fired by ProcessExited on HCS's thread, run on
// the host's own; a watch after the exit fires at once; a cancelled one
// never; a system without its main process has none.
TEST_F(HcsContainerHostTest, ExitWatchFiresOnceOffHcsThreadsAndCancelStopsIt) {
  ASSERT_TRUE(host_->Create(Spec("w1")).ok());
  ASSERT_TRUE(host_->Start("w1", "w1").ok());
  const uint32_t pid = static_cast<uint32_t>(host_->State("w1", "w1")->pid);
  std::atomic<int> calls{0};
  std::promise<std::thread::id> fired;
  auto watch = host_->WatchExit("w1", "w1", [&] {
    if (++calls == 1) fired.set_value(std::this_thread::get_id());
  });
  ASSERT_NE(watch, nullptr);
  fake_.Drain();
  EXPECT_EQ(calls.load(), 0) << "still running";
  fake_.ExitProcess("w1", pid, 0);
  auto ran_on = fired.get_future();
  ASSERT_EQ(ran_on.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_NE(ran_on.get(), std::this_thread::get_id());
  fake_.Drain();
  EXPECT_EQ(calls.load(), 1);
  std::promise<void> late;
  auto after = host_->WatchExit("w1", "w1", [&] { late.set_value(); });
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(late.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "the exit had arrived already";

  ASSERT_TRUE(host_->Create(Spec("w2")).ok());
  ASSERT_TRUE(host_->Start("w2", "w2").ok());
  const uint32_t pid2 = static_cast<uint32_t>(host_->State("w2", "w2")->pid);
  std::atomic<int> cancelled_calls{0};
  auto cancelled = host_->WatchExit("w2", "w2", [&] { ++cancelled_calls; });
  ASSERT_NE(cancelled, nullptr);
  cancelled.reset();
  fake_.ExitProcess("w2", pid2, 0);
  fake_.Drain();
  std::promise<void> flushed;  // a later watch's callback runs after any queued one
  auto probe = host_->WatchExit("w2", "w2", [&] { flushed.set_value(); });
  ASSERT_NE(probe, nullptr);
  flushed.get_future().wait();
  EXPECT_EQ(cancelled_calls.load(), 0);

  ASSERT_TRUE(host_->Create(Spec("w3")).ok());
  EXPECT_EQ(host_->WatchExit("w3", "w3", [] {}), nullptr) << "not started: polled instead";
  for (const char* id : {"w1", "w2", "w3"}) ASSERT_TRUE(host_->Remove(id, id).ok());
}

TEST_F(HcsContainerHostTest, ALostComputeServiceFiresTheExitWatch) {
  ASSERT_TRUE(host_->Create(Spec("w4")).ok());
  ASSERT_TRUE(host_->Start("w4", "w4").ok());
  std::promise<void> fired;
  auto watch = host_->WatchExit("w4", "w4", [&] { fired.set_value(); });
  ASSERT_NE(watch, nullptr);
  fake_.DisconnectService();
  EXPECT_EQ(fired.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

TEST_F(HcsContainerHostTest, TermIsCtrlShutdownAndKillTerminates) {
  ASSERT_TRUE(host_->Create(Spec("c2")).ok());
  ASSERT_TRUE(host_->Start("c2", "c2").ok());
  const uint32_t pid = static_cast<uint32_t>(host_->State("c2", "c2")->pid);
  ASSERT_TRUE(host_->Kill("c2", "c2", SIGTERM).ok());
  ASSERT_TRUE(Eventually([&] { return !fake_.Signals("c2", pid).empty(); })) << "sent in the background";
  std::vector<std::string> signals = fake_.Signals("c2", pid);
  ASSERT_EQ(signals.size(), 1u);
  EXPECT_NE(signals[0].find("CtrlShutdown"), std::string::npos) << signals[0];
  ASSERT_TRUE(host_->Kill("c2", "c2", SIGKILL).ok());
  EXPECT_FALSE(fake_.ProcessRunning("c2", pid));
  EXPECT_TRUE(Eventually([&] { return fake_.SystemState("c2") == "Stopped"; })) << "the system follows its process";
  ASSERT_TRUE(host_->Kill("c2", "c2", SIGKILL).ok()) << "killing a stopped system is fine";
  ASSERT_TRUE(host_->Remove("c2", "c2").ok());
}

TEST_F(HcsContainerHostTest, CreateFailuresLeaveNothing) {
  fake_.Inject({FakeCall::kCreateComputeSystem, FakeFault::kFailCall, codes::kHcsEInvalidJson, "bad document"});
  absl::Status s = host_->Create(Spec("c3")).status();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HcsCreateComputeSystem"), std::string::npos) << s;
  EXPECT_NE(s.message().find("c3"), std::string::npos) << s;
  EXPECT_FALSE(fake_.SystemExists("c3"));
  EXPECT_EQ(released_, std::vector<std::string>{"c3"}) << "the rootfs is released";

  fail_rootfs_ = absl::UnavailableError("layer store busy");
  EXPECT_EQ(host_->Create(Spec("c4")).status().code(), absl::StatusCode::kUnavailable);
  fail_rootfs_ = absl::OkStatus();

  // A document the builder rejects never reaches HCS.
  sandbox_.netns_path = "";
  config_.add_mounts()->set_container_path("relative\\path");
  EXPECT_EQ(host_->Create(Spec("c5")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fake_.SystemExists("c5"));
  EXPECT_EQ(released_.back(), "c5");
}

// hcsshim resolves a mount's host path before HCS sees it (HCS mis-resolves
// mapped files reached through symlinks): the document carries the final
// path, links and junctions followed; pipes are passed as they are.
TEST_F(HcsContainerHostTest, MountHostPathsReachHcsWithTheirLinksResolved) {
  paths_.AddVolume(L"D:", L"{9e2d7a11-0000-4000-8000-00000000000d}");
  paths_.AddPath(L"D:\\kubelet\\pods\\p1\\volumes\\cfg");
  paths_.AddLink(L"C:\\var\\lib\\kubelet", L"D:\\kubelet");  // kubelet's root moved behind a junction
  auto* dir = config_.add_mounts();
  dir->set_host_path("C:\\var\\lib\\kubelet\\pods\\p1\\volumes\\cfg");
  dir->set_container_path("C:\\cfg");
  dir->set_readonly(true);
  auto* pipe = config_.add_mounts();
  pipe->set_host_path("\\\\.\\pipe\\docker_engine");
  pipe->set_container_path("\\\\.\\pipe\\docker_engine");
  ASSERT_TRUE(host_->Create(Spec("m1")).ok());
  const nlohmann::json doc = nlohmann::json::parse(fake_.Configuration("m1"), nullptr, false);
  ASSERT_TRUE(doc.is_object()) << fake_.Configuration("m1");
  const nlohmann::json& mapped = doc["Container"]["MappedDirectories"];
  ASSERT_EQ(mapped.size(), 1u) << doc.dump();
  EXPECT_EQ(mapped[0].value("HostPath", ""),
            "\\\\?\\Volume{9e2d7a11-0000-4000-8000-00000000000d}\\kubelet\\pods\\p1\\volumes\\cfg");
  EXPECT_EQ(mapped[0].value("ContainerPath", ""), "C:\\cfg");
  EXPECT_EQ(doc["Container"]["MappedPipes"][0].value("HostPath", ""), "\\\\.\\pipe\\docker_engine");
  EXPECT_EQ(paths_.open_handles(), 0);
  ASSERT_TRUE(host_->Remove("m1", "m1").ok());

  // A host path that cannot be created (no such volume) fails the create, naming the mount, and leaves nothing.
  config_.clear_mounts();
  auto* missing = config_.add_mounts();
  missing->set_host_path("Q:\\var\\lib\\kubelet\\pods\\gone");
  missing->set_container_path("C:\\gone");
  absl::Status s = host_->Create(Spec("m2")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_NE(s.message().find("Q:\\var\\lib\\kubelet\\pods\\gone"), std::string::npos) << s;
  EXPECT_FALSE(fake_.SystemExists("m2"));
  EXPECT_EQ(released_.back(), "m2");
  EXPECT_EQ(paths_.open_handles(), 0);
}

// containerd creates a missing mount source (os.MkdirAll, as docker does)
// before resolving it; only one that cannot be created fails the create.
TEST_F(HcsContainerHostTest, MissingMountSourcesAreCreatedAsDirectories) {
  paths_.AddVolume(L"D:", L"{9e2d7a11-0000-4000-8000-00000000000d}");
  paths_.AddPath(L"D:\\kubelet");
  paths_.AddLink(L"C:\\var\\lib\\kubelet", L"D:\\kubelet");
  config_.clear_mounts();
  auto* missing = config_.add_mounts();
  missing->set_host_path("C:\\var\\lib\\kubelet\\pods\\new\\volumes\\empty");
  missing->set_container_path("C:\\empty");
  ASSERT_TRUE(host_->Create(Spec("m3")).ok());
  EXPECT_TRUE(paths_.Exists(L"D:\\kubelet\\pods\\new\\volumes\\empty"));  // behind the junction
  const nlohmann::json created = nlohmann::json::parse(fake_.Configuration("m3"), nullptr, false);
  EXPECT_EQ(created["Container"]["MappedDirectories"][0].value("HostPath", ""),
            "\\\\?\\Volume{9e2d7a11-0000-4000-8000-00000000000d}\\kubelet\\pods\\new\\volumes\\empty")
      << created.dump();
  ASSERT_TRUE(host_->Remove("m3", "m3").ok());

  EXPECT_EQ(paths_.open_handles(), 0);
}

TEST_F(HcsContainerHostTest, MainProcessFailureStopsTheSystem) {
  ASSERT_TRUE(host_->Create(Spec("c6")).ok());
  fake_.Inject({FakeCall::kCreateProcess, FakeFault::kFailResult, 0x80070002, "The system cannot find the file"});
  absl::Status s = host_->Start("c6", "c6");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HcsCreateProcess"), std::string::npos) << s;
  EXPECT_NE(s.message().find("0x80070002"), std::string::npos) << s;
  EXPECT_NE(fake_.SystemState("c6"), "Running") << "no system runs without its main process";
  ASSERT_TRUE(host_->Remove("c6", "c6").ok());
  EXPECT_FALSE(fake_.SystemExists("c6"));
}

TEST_F(HcsContainerHostTest, ExecReturnsTheExitCodeAndHonoursTheTimeout) {
  ASSERT_TRUE(host_->Create(Spec("c7")).ok());
  ASSERT_TRUE(host_->Start("c7", "c7").ok());
  const uint32_t main_pid = static_cast<uint32_t>(host_->State("c7", "c7")->pid);
  const uint32_t exec_pid = main_pid + 4;  // the fake numbers processes 100, 104, ...
  std::thread exiter([&] {
    for (int i = 0; i < 2500 && !fake_.ProcessRunning("c7", exec_pid); ++i) {  // up to Exec's own 5 s
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    fake_.ExitProcess("c7", exec_pid, 7);
  });
  absl::StatusOr<container::ExecResult> r = host_->Exec("c7", "c7", {"cmd", "/c", "exit 7"}, std::chrono::seconds(5));
  exiter.join();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 7);

  absl::StatusOr<container::ExecResult> slow =
      host_->Exec("c7", "c7", {"ping", "-t", "localhost"}, std::chrono::milliseconds(50));
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kDeadlineExceeded) << slow.status();
  EXPECT_FALSE(fake_.ProcessRunning("c7", exec_pid + 4)) << "a timed-out exec is terminated";
  EXPECT_TRUE(fake_.ProcessRunning("c7", main_pid));
  ASSERT_TRUE(host_->Remove("c7", "c7").ok());
}

TEST_F(HcsContainerHostTest, RestartReopensOursAndCollectsOrphans) {
  ASSERT_TRUE(host_->Create(Spec("live")).ok());
  ASSERT_TRUE(host_->Start("live", "live").ok());
  fake_.AddSystem("orphan", "silo", /*running=*/true);
  fake_.AddSystem("not-ours", "containerd", /*running=*/true);

  host_ = NewHost();  // silod restarted: no in-memory state
  absl::StatusOr<std::vector<std::string>> ids = host_->ListHostContainers();
  ASSERT_TRUE(ids.ok()) << ids.status();
  std::sort(ids->begin(), ids->end());
  EXPECT_EQ(*ids, (std::vector<std::string>{"live", "orphan"}));
  EXPECT_FALSE(host_->MonitorGone("live", "live"));
  EXPECT_TRUE(host_->MonitorGone("never-existed", ""));
  // A re-opened system answers state and can be killed and removed.
  EXPECT_TRUE(host_->State("live", "live").ok());
  ASSERT_TRUE(host_->Kill("live", "live", SIGKILL).ok());
  ASSERT_TRUE(host_->RemoveOrphan("orphan").ok());
  EXPECT_FALSE(fake_.SystemExists("orphan"));
  EXPECT_TRUE(fake_.SystemExists("not-ours"));
  ASSERT_TRUE(host_->Remove("live", "live").ok());
  EXPECT_FALSE(fake_.SystemExists("live"));
}

// silod restarts (a new host over the same HCS): its handles close, yet the
// containers keep running, are re-opened with their main process, report a
// later exit through a new watch, and only our own orphans are removed.
TEST_F(HcsContainerHostTest, SystemsSurviveASilodRestartAndReportTheirLaterExit) {
  ASSERT_TRUE(host_->Create(Spec("live")).ok());
  ASSERT_TRUE(host_->Start("live", "live").ok());
  const int pid = host_->State("live", "live")->pid;
  fake_.AddSystem("orphan", "silo", /*running=*/true);
  fake_.AddSystem("not-ours", "containerd", /*running=*/true);

  host_ = NewHost();  // silod restarted: no in-memory state, no handles
  fake_.Drain();
  EXPECT_EQ(fake_.open_system_handles(), 0);
  EXPECT_EQ(fake_.SystemState("live"), "Running") << "closing silod's handle must not end the container";
  ASSERT_TRUE(fake_.ProcessRunning("live", static_cast<uint32_t>(pid)));

  absl::StatusOr<container::ProcessState> st = host_->State("live", "live");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_FALSE(st->exited);
  EXPECT_TRUE(st->started) << "a record still CREATED (silod died inside StartContainer) must become RUNNING";
  EXPECT_EQ(st->pid, pid);
  std::promise<void> fired;
  auto watch = host_->WatchExit("live", "live", [&] { fired.set_value(); });
  ASSERT_NE(watch, nullptr) << "the main process is re-opened, so its exit is pushed again";
  fake_.Drain();
  fake_.ExitProcess("live", static_cast<uint32_t>(pid), 9);
  ASSERT_EQ(fired.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  st = host_->State("live", "live");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->exited);
  EXPECT_EQ(st->exit_code, 9);

  absl::StatusOr<std::vector<std::string>> ids = host_->ListHostContainers();
  ASSERT_TRUE(ids.ok()) << ids.status();
  std::sort(ids->begin(), ids->end());
  EXPECT_EQ(*ids, (std::vector<std::string>{"live", "orphan"}));
  ASSERT_TRUE(host_->RemoveOrphan("orphan").ok());
  EXPECT_FALSE(fake_.SystemExists("orphan"));
  EXPECT_EQ(fake_.SystemState("not-ours"), "Running");
  watch.reset();
  ASSERT_TRUE(host_->Remove("live", "live").ok());
  EXPECT_FALSE(fake_.SystemExists("live"));
}

// An exit that happened while no silod ran is found from the kept pid; the
// system it left running is stopped, and the exit is reported, not lost.
TEST_F(HcsContainerHostTest, AnExitWhileSilodWasDownIsReportedAndItsSystemStopped) {
  ASSERT_TRUE(host_->Create(Spec("gone")).ok());
  ASSERT_TRUE(host_->Start("gone", "gone").ok());
  const int pid = host_->State("gone", "gone")->pid;
  ASSERT_TRUE(host_->Create(Spec("done")).ok());
  ASSERT_TRUE(host_->Start("done", "done").ok());
  const int done_pid = host_->State("done", "done")->pid;
  fake_.ExitProcess("done", static_cast<uint32_t>(done_pid), 4);
  ASSERT_TRUE(host_->Wait("done", "done", std::chrono::seconds(5)).ok());
  host_.reset();
  fake_.ExitProcess("gone", static_cast<uint32_t>(pid), 0);
  host_ = NewHost();

  absl::StatusOr<container::ProcessState> st = host_->State("gone", "gone");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->exited);
  EXPECT_TRUE(st->started) << "its pid was kept, so it ran";
  EXPECT_EQ(st->pid, pid);
  EXPECT_TRUE(Eventually([&] { return fake_.SystemState("gone") == "Stopped"; }));
  absl::StatusOr<std::optional<container::ProcessState>> recorded = host_->RecordedExit("done");
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  ASSERT_TRUE(recorded->has_value());
  EXPECT_EQ((*recorded)->exit_code, 4);
  for (const char* id : {"gone", "done"}) ASSERT_TRUE(host_->Remove(id, id).ok());
}

// Servercore's HcsSignalProcess returns only when the process has exited.
// SIGTERM must come back at once so the caller's grace period runs, and the
// SIGKILL after it must not queue behind the blocked signal.
TEST_F(HcsContainerHostTest, SigtermReturnsWhileTheSignalCallBlocksAndSigkillStillEndsIt) {
  ASSERT_TRUE(host_->Create(Spec("sv")).ok());
  ASSERT_TRUE(host_->Start("sv", "sv").ok());
  const uint32_t pid = static_cast<uint32_t>(host_->State("sv", "sv")->pid);
  fake_.Inject({FakeCall::kSignalProcess, FakeFault::kBlock});
  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(host_->Kill("sv", "sv", SIGTERM).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(1))
      << "Kill waited for the blocked signal call";
  ASSERT_TRUE(Eventually([&] { return fake_.blocked_operations() == 1; }));
  EXPECT_EQ(host_->Wait("sv", "sv", std::chrono::milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded)
      << "the grace period runs while the signal is stuck";
  ASSERT_TRUE(host_->Kill("sv", "sv", SIGTERM).ok()) << "a second SIGTERM does not pile up";
  const auto kill_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(host_->Kill("sv", "sv", SIGKILL).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - kill_at, std::chrono::seconds(1));
  EXPECT_FALSE(fake_.ProcessRunning("sv", pid));
  absl::StatusOr<container::ProcessState> st = host_->Wait("sv", "sv", std::chrono::seconds(5));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->exited);
  EXPECT_EQ(fake_.calls(FakeCall::kSignalProcess), 1);
  EXPECT_TRUE(Eventually([&] { return fake_.blocked_operations() == 0; })) << "the exit ends the signal call";
  ASSERT_TRUE(host_->Remove("sv", "sv").ok());
}

// hcsshim shuts a task's system down once its main process exits; an exited
// container kubelet keeps around must not keep a live silo. Its exit stays
// reported, and Remove still works. A guest that ignores the shutdown is
// terminated after the grace.
TEST_F(HcsContainerHostTest, AnExitedContainersSystemIsShutDownAndItsExitKept) {
  ASSERT_TRUE(host_->Create(Spec("ex")).ok());
  ASSERT_TRUE(host_->Start("ex", "ex").ok());
  const uint32_t pid = static_cast<uint32_t>(host_->State("ex", "ex")->pid);
  fake_.ExitProcess("ex", pid, 3);
  EXPECT_TRUE(Eventually([&] { return fake_.SystemState("ex") == "Stopped"; }))
      << "the system outlived its main process";
  EXPECT_EQ(fake_.calls(FakeCall::kShutDown), 1) << "a graceful shutdown first";
  absl::StatusOr<container::ProcessState> st = host_->State("ex", "ex");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->exited);
  EXPECT_EQ(st->exit_code, 3);
  EXPECT_GT(st->exited_at_ns, 0);
  EXPECT_EQ(host_->Wait("ex", "ex", std::chrono::seconds(1))->exit_code, 3);
  ASSERT_TRUE(host_->Remove("ex", "ex").ok());
  EXPECT_FALSE(fake_.SystemExists("ex"));

  fake_.set_ignore_shutdown(true);
  ASSERT_TRUE(host_->Create(Spec("ex2")).ok());
  ASSERT_TRUE(host_->Start("ex2", "ex2").ok());
  fake_.ExitProcess("ex2", static_cast<uint32_t>(host_->State("ex2", "ex2")->pid), 0);
  EXPECT_TRUE(Eventually([&] { return fake_.SystemState("ex2") == "Stopped"; }));
  EXPECT_GE(fake_.calls(FakeCall::kTerminate), 1) << "terminated after the grace";
  ASSERT_TRUE(host_->Remove("ex2", "ex2").ok());
}

// The main process runs as the spec's account (the image's User unless the
// CRI overrides it) and takes an image's pre-escaped command line raw; exec
// arguments are always quoted.
TEST_F(HcsContainerHostTest, MainProcessUsesTheImageCommandLineAndAccount) {
  container::CreateSpec spec = Spec("c8");
  spec.args = {"cmd /S /C echo hi"};
  spec.args_escaped = true;
  ASSERT_TRUE(host_->Create(spec).ok());
  ASSERT_TRUE(host_->Start("c8", "c8").ok());
  const uint32_t pid = static_cast<uint32_t>(host_->State("c8", "c8")->pid);
  const nlohmann::json params = nlohmann::json::parse(fake_.ProcessParameters("c8", pid), nullptr, false);
  ASSERT_TRUE(params.is_object()) << fake_.ProcessParameters("c8", pid);
  EXPECT_EQ(params.value("CommandLine", ""), "cmd /S /C echo hi");
  EXPECT_EQ(params.value("User", ""), "ContainerUser");

  ASSERT_TRUE(ExecThatExits("c8", pid, {"cmd /S /C echo hi"}));
  const nlohmann::json exec = nlohmann::json::parse(fake_.ProcessParameters("c8", pid + 4), nullptr, false);
  EXPECT_EQ(exec.value("CommandLine", ""), "\"cmd /S /C echo hi\"");
  EXPECT_EQ(exec.value("User", ""), "ContainerUser");
  ASSERT_TRUE(host_->Remove("c8", "c8").ok());
}

// The process spec outlives silod with the system: a container created
// before a restart still starts with its command line, account and
// environment, and an exec after the restart runs as the container's
// account. A system whose spec was not kept runs nothing.
TEST_F(HcsContainerHostTest, TheProcessSpecSurvivesASilodRestart) {
  container::CreateSpec spec = Spec("rs");
  spec.args = {"cmd /S /C echo hi"};
  spec.args_escaped = true;
  ASSERT_TRUE(host_->Create(spec).ok());
  host_ = NewHost();
  ASSERT_TRUE(host_->Start("rs", "rs").ok());
  const uint32_t pid = static_cast<uint32_t>(host_->State("rs", "rs")->pid);
  nlohmann::json params = nlohmann::json::parse(fake_.ProcessParameters("rs", pid), nullptr, false);
  ASSERT_TRUE(params.is_object()) << fake_.ProcessParameters("rs", pid);
  EXPECT_EQ(params.value("CommandLine", ""), "cmd /S /C echo hi");
  EXPECT_EQ(params.value("User", ""), "ContainerUser");
  EXPECT_EQ(params.value("WorkingDirectory", ""), "C:\\app");
  EXPECT_EQ(params["Environment"].value("PATH", ""), "C:\\Windows\\system32");

  host_ = NewHost();
  ASSERT_TRUE(ExecThatExits("rs", pid, {"whoami"}));
  params = nlohmann::json::parse(fake_.ProcessParameters("rs", pid + 4), nullptr, false);
  EXPECT_EQ(params.value("User", ""), "ContainerUser") << "an exec after a restart ran as another account";
  EXPECT_EQ(params["Environment"].value("PATH", ""), "C:\\Windows\\system32");

  // Without the kept spec nothing runs in the re-opened system.
  host_ = NewHost();
  std::filesystem::remove(state_dir_ / "rs.hcs.json");
  EXPECT_EQ(host_->Exec("rs", "rs", {"whoami"}, std::chrono::seconds(1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(fake_.ProcessRunning("rs", pid + 8));
  ASSERT_TRUE(host_->Remove("rs", "rs").ok());
}

}  // namespace
}  // namespace silo::runtime::windows
