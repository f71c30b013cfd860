// Live restore through the real silod, silo-shim and runc:
// silod is SIGKILLed and restarted while a container keeps printing sequence
// numbers; its CRI log must have no gap or duplicate, and exits that happen
// while silod is down must be reported with their codes afterwards. A
// SIGKILLed shim must not leave its container RUNNING, and shims and bundles
// that no container owns are collected when silod starts.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "tests/support/container_pod.h"

namespace silo::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Polls `done` every 20 ms until it holds or `timeout` passes.
template <typename Fn>
bool Eventually(Fn done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool ProcessDead(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  auto stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return true;
  size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z';  // zombie
}

// The pid of the live silo-shim serving container `id`, or -1.
pid_t ShimPid(const std::string& id) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e.path().filename().string(), &pid)) continue;
    auto cmdline = ReadFile(e.path().string() + "/cmdline");
    if (!cmdline.ok()) continue;
    std::vector<std::string> argv = absl::StrSplit(*cmdline, '\0');
    if (std::filesystem::path(argv[0]).filename() != "silo-shim") continue;
    for (size_t i = 1; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--id" && argv[i + 1] == id && !ProcessDead(pid)) return pid;
    }
  }
  return -1;
}

// Parses kubelet's CRI log format (`<RFC3339Nano> <stream> <P|F> <content>`)
// of a container that prints "seq N" lines; returns the N in order. Any other
// line is a test failure.
std::vector<int> Sequence(const std::string& path) {
  std::vector<int> seq;
  auto text = ReadFile(path);
  if (!text.ok()) return seq;
  // The shim may be midway through appending the last line.
  text->resize(text->rfind('\n') == std::string::npos ? 0 : text->rfind('\n') + 1);
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 3));
    if (parts.size() != 4 || parts[0].find('T') == std::string::npos || parts[1] != "stdout" || parts[2] != "F") {
      ADD_FAILURE() << "not a full stdout line in kubelet's format: " << line;
      continue;
    }
    int n = -1;
    if (!absl::StartsWith(parts[3], "seq ") || !absl::SimpleAtoi(parts[3].substr(4), &n)) {
      ADD_FAILURE() << "unexpected content: " << line;
      continue;
    }
    seq.push_back(n);
  }
  return seq;
}

int LastSeq(const std::string& path) {
  std::vector<int> seq = Sequence(path);
  return seq.empty() ? -1 : seq.back();
}

class LiveRestoreTest : public ContainerPodTest {};

TEST_F(LiveRestoreTest, ContainerKeepsRunningAndLoggingAcrossTwentySilodKills) {
  std::string printer;
  ASSERT_TRUE(Create(Config("printer", {"/bin/sh", "-c",
                                        "i=0; while true; do echo seq $i; i=$((i+1)); sleep 0.06; done"}),
                     &printer)
                  .ok());
  ASSERT_TRUE(Start(printer).ok());
  const std::string log = logs_.path() + "/printer/0.log";
  ASSERT_TRUE(Eventually([&] { return LastSeq(log) >= 0; })) << "the printer never logged";

  TempDir gates;  // a file appearing here lets a waiting container exit
  const auto start = Clock::now();
  int exits_checked = 0;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    std::string exiter;
    const int code = 10 + round;
    if (round % 3 == 1) {
      auto config = Config(absl::StrCat("exiter-", round),
                           {"/bin/sh", "-c",
                            absl::StrCat("while [ ! -e /gate/go-", round, " ]; do sleep 0.02; done; exit ", code)});
      auto* mount = config.add_mounts();
      mount->set_host_path(gates.path());
      mount->set_container_path("/gate");
      ASSERT_TRUE(Create(config, &exiter).ok());
      ASSERT_TRUE(Start(exiter).ok());
      ASSERT_EQ(Status(exiter).state(), ::runtime::v1::CONTAINER_RUNNING);
    }
    const int before = LastSeq(log);
    ASSERT_EQ(silod_->Stop(kSigKill), 128 + kSigKill);
    if (!exiter.empty()) {
      // The exit happens while silod is down; its shim records it durably.
      ASSERT_TRUE(AtomicWriteFile(absl::StrCat(gates.path(), "/go-", round), "").ok());
      const std::string exit_file = absl::StrCat(silod_->state(), "/containers/", exiter, "/exit");
      ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(exit_file); })) << exit_file;
    }
    StartSilod();
    ASSERT_TRUE(silod_ != nullptr);

    EXPECT_EQ(Status(printer).state(), ::runtime::v1::CONTAINER_RUNNING);
    ASSERT_TRUE(Eventually([&] { return LastSeq(log) > before + 1; }))
        << "the log stopped growing after seq " << before;
    if (!exiter.empty()) {
      ::runtime::v1::ContainerStatus st = Status(exiter);
      EXPECT_EQ(st.state(), ::runtime::v1::CONTAINER_EXITED);
      EXPECT_EQ(st.exit_code(), code);
      EXPECT_EQ(st.reason(), "Error");
      EXPECT_GT(st.finished_at(), st.started_at());
      ASSERT_TRUE(Remove(exiter).ok());
      ++exits_checked;
    }
  }
  EXPECT_EQ(exits_checked, 7);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(100));

  ASSERT_TRUE(Stop(printer, 0).ok());
  std::vector<int> seq = Sequence(log);
  ASSERT_FALSE(seq.empty());
  for (size_t i = 0; i < seq.size(); ++i) {
    ASSERT_EQ(seq[i], static_cast<int>(i)) << "gap or duplicate at line " << i;
  }
}

TEST_F(LiveRestoreTest, KilledShimIsReportedUnknownThenStopsAndRemoves) {
  std::string id;
  ASSERT_TRUE(Create(Config("shimless", {"/bin/busybox", "sleep", "1000"}), &id).ok());
  ASSERT_TRUE(Start(id).ok());
  ASSERT_EQ(Status(id).state(), ::runtime::v1::CONTAINER_RUNNING);
  pid_t shim = ShimPid(id);
  ASSERT_GT(shim, 0);
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  ASSERT_TRUE(Eventually([&] { return ProcessDead(shim); }));

  // The exit watch hears the shim's socket close (asynchronously: under load
  // a status right after the kill may still say RUNNING).
  ::runtime::v1::ContainerStatus st;
  ASSERT_TRUE(Eventually([&] { return (st = Status(id)).state() != ::runtime::v1::CONTAINER_RUNNING; }));
  EXPECT_EQ(st.state(), ::runtime::v1::CONTAINER_UNKNOWN);
  EXPECT_EQ(st.reason(), "ShimLost");
  EXPECT_FALSE(st.message().empty());
  bool listed = false;
  for (const auto& c : List()) {
    if (c.id() != id) continue;
    listed = true;
    EXPECT_EQ(c.state(), ::runtime::v1::CONTAINER_UNKNOWN);
  }
  EXPECT_TRUE(listed);

  // kubelet stops an UNKNOWN container before removing it: silod kills what
  // is left itself (TearDown checks that no runc state remains).
  ASSERT_TRUE(Stop(id, 0).ok());
  st = Status(id);
  EXPECT_EQ(st.state(), ::runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 128 + 9);
  EXPECT_EQ(st.reason(), "ShimLost");
  EXPECT_TRUE(Stop(id, 0).ok());  // idempotent
  ASSERT_TRUE(Remove(id).ok());
}

// kubelet may stop a container whose shim died before the exit watch has
// heard of it: Stop must notice by itself and kill what is left.
TEST_F(LiveRestoreTest, StopRightAfterTheShimDiedKillsWhatIsLeft) {
  std::string id;
  ASSERT_TRUE(Create(Config("shim-just-died", {"/bin/busybox", "sleep", "1000"}), &id).ok());
  ASSERT_TRUE(Start(id).ok());
  pid_t shim = ShimPid(id);
  ASSERT_GT(shim, 0);
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  ASSERT_TRUE(Eventually([&] { return ProcessDead(shim); }));
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(Stop(id, 0).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << "no waiting on a dead socket";
  ::runtime::v1::ContainerStatus st = Status(id);
  EXPECT_EQ(st.state(), ::runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(st.reason(), "ShimLost");
  ASSERT_TRUE(Remove(id).ok());
}

TEST_F(LiveRestoreTest, ShimKilledWhileSilodIsDownIsUnknownAfterRestart) {
  std::string id;
  ASSERT_TRUE(Create(Config("lost", {"/bin/busybox", "sleep", "1000"}), &id).ok());
  ASSERT_TRUE(Start(id).ok());
  pid_t shim = ShimPid(id);
  ASSERT_GT(shim, 0);
  ASSERT_EQ(silod_->Stop(kSigKill), 128 + kSigKill);
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  ASSERT_TRUE(Eventually([&] { return ProcessDead(shim); }));
  StartSilod();
  ASSERT_TRUE(silod_ != nullptr);
  ::runtime::v1::ContainerStatus st = Status(id);
  EXPECT_EQ(st.state(), ::runtime::v1::CONTAINER_UNKNOWN);
  EXPECT_EQ(st.reason(), "ShimLost");
  ASSERT_TRUE(Remove(id).ok());
}

TEST_F(LiveRestoreTest, OrphanedShimBundleAndLayerAreCollectedAtStartup) {
  std::string keeper;
  ASSERT_TRUE(Create(Config("keeper", {"/bin/busybox", "sleep", "1000"}), &keeper).ok());
  ASSERT_TRUE(Start(keeper).ok());

  // A container silod never recorded (as after a crash between the shim's
  // start and the store write): a bundle over a bind-mounted busybox rootfs,
  // run by a real silo-shim in silod's socket and runc directories.
  const std::string orphan = "0rphan0000000000000000000000000000000000000000000000000000000001";
  const std::string state = silod_->state();
  const std::string bundle = state + "/containers/" + orphan;
  ASSERT_TRUE(MakeDirs(bundle + "/rootfs").ok());
  ASSERT_EQ(Sh(absl::StrCat("mount --bind ", scratch_.path(), "/build/rootfs ", bundle, "/rootfs")), 0);
  ASSERT_EQ(Sh(absl::StrCat("runc spec --bundle ", bundle)), 0);
  auto spec_text = ReadFile(bundle + "/config.json");
  ASSERT_TRUE(spec_text.ok());
  nlohmann::json spec = nlohmann::json::parse(*spec_text);
  spec["process"]["terminal"] = false;
  spec["process"]["args"] = {"/bin/busybox", "sleep", "1000"};
  spec["linux"]["cgroupsPath"] = "/" + orphan;
  ASSERT_TRUE(AtomicWriteFile(bundle + "/config.json", spec.dump()).ok());
  const std::string shim_binary =
      (std::filesystem::path(SilodBinary()).parent_path() / "../../runtime/shim/silo-shim").lexically_normal();
  std::string cmd = absl::StrCat(shim_binary, " --id ", orphan, " --bundle ", bundle, " --runc-root ", state,
                                 "/runc --log /dev/null --socket ", state, "/shims/", orphan, ".sock --exit-file ",
                                 bundle, "/exit");
  FILE* out = ::popen(cmd.c_str(), "r");
  ASSERT_NE(out, nullptr);
  int shim = 0;
  ASSERT_EQ(std::fscanf(out, "%d", &shim), 1) << cmd;
  ASSERT_EQ(::pclose(out), 0);
  ASSERT_FALSE(ProcessDead(shim));
  ASSERT_TRUE(std::filesystem::exists(state + "/runc/" + orphan));
  // A writable layer without anything else, and a stale socket.
  const std::string layer = silod_->root() + "/containers/leakedlayer";
  ASSERT_TRUE(MakeDirs(layer + "/upper").ok());
  ASSERT_TRUE(AtomicWriteFile(state + "/shims/stalesocket.sock", "").ok());

  ASSERT_EQ(silod_->Stop(kSigKill), 128 + kSigKill);
  StartSilod();
  ASSERT_TRUE(silod_ != nullptr);

  // Recovery runs before silod serves, so everything is gone by now (the
  // shim may still await reaping by init).
  EXPECT_TRUE(Eventually([&] { return ProcessDead(shim); }));
  EXPECT_FALSE(std::filesystem::exists(bundle));
  EXPECT_FALSE(std::filesystem::exists(state + "/runc/" + orphan));
  EXPECT_FALSE(std::filesystem::exists(state + "/shims/" + orphan + ".sock"));
  EXPECT_FALSE(std::filesystem::exists(state + "/shims/stalesocket.sock"));
  EXPECT_FALSE(std::filesystem::exists(layer));
  auto mountinfo = ReadFile("/proc/self/mountinfo");
  ASSERT_TRUE(mountinfo.ok());
  EXPECT_EQ(mountinfo->find(bundle), std::string::npos) << "orphan rootfs still mounted";

  // The owned container was left alone.
  EXPECT_EQ(Status(keeper).state(), ::runtime::v1::CONTAINER_RUNNING);
  EXPECT_GT(ShimPid(keeper), 0);
  ASSERT_TRUE(Stop(keeper, 0).ok());
  EXPECT_EQ(Status(keeper).exit_code(), 128 + 9);
}

}  // namespace
}  // namespace silo::testing
