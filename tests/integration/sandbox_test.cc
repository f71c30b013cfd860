// Pod sandboxes through the real silod with Debian's real CNI plugins
// (bridge, host-local, portmap, loopback).
//
// The test moves itself into a private network namespace before starting
// silod, which inherits it: the bridge, its iptables rules and ip_forward
// (turned on by the bridge plugin) never touch the machine's network, and
// pods are reachable from the test's namespace as from a node.

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/testing/shell.h"
#include "runtime/base/ids.h"
#include "tests/support/silod_process.h"

namespace silo::testing {
namespace {

using ::runtime::v1::RuntimeService;

constexpr char kPluginDir[] = "/usr/lib/cni";
constexpr char kIpForward[] = "/proc/sys/net/ipv4/ip_forward";
constexpr char kCgroupRoot[] = "/sys/fs/cgroup";

::runtime::v1::PodSandboxConfig Pod(const std::string& name) {
  ::runtime::v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid("uid-" + name);
  c.set_hostname(name);
  (*c.mutable_labels())["app"] = "sbxtest";
  (*c.mutable_labels())["pod"] = name;
  (*c.mutable_annotations())["note"] = "hello";
  c.mutable_dns_config()->add_servers("10.96.0.10");
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(::runtime::v1::CONTAINER);
  return c;
}

class SandboxIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::access((std::string(kPluginDir) + "/bridge").c_str(), X_OK) != 0) GTEST_SKIP() << "no CNI plugins";

    host_ns_fd_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(host_ns_fd_, 0);
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << strerror(errno);
    in_private_ns_ = true;
    ASSERT_EQ(Sh("ip link set lo up").exit_code, 0);
    auto fwd = ReadFile(kIpForward);
    ASSERT_TRUE(fwd.ok()) << fwd.status();
    ip_forward_ = std::string(absl::StripAsciiWhitespace(*fwd));

    std::string hex = RandomHex(4);
    bridge_ = "silo" + hex.substr(0, 6);
    int octet = std::uniform_int_distribution<int>(0, 255)(rng_);
    subnet_prefix_ = absl::StrCat("10.88.", octet, ".");
    ASSERT_TRUE(MakeDirs(dir_.path() + "/cni").ok());
    nlohmann::json conflist = {
        {"cniVersion", "1.0.0"},
        {"name", "silo-sbxtest"},
        {"plugins",
         {{{"type", "bridge"},
           {"bridge", bridge_},
           {"isGateway", true},
           {"ipMasq", false},
           {"ipam",
            {{"type", "host-local"},
             {"dataDir", dir_.path() + "/ipam"},
             {"ranges", {{{{"subnet", subnet_prefix_ + "0/24"}}}}},
             {"routes", {{{"dst", "0.0.0.0/0"}}}}}}},
          {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}},
          {{"type", "bandwidth"}, {"capabilities", {{"bandwidth", true}}}},
          {{"type", "loopback"}}}}};
    ASSERT_TRUE(AtomicWriteFile(dir_.path() + "/cni/10-sbxtest.conflist", conflist.dump()).ok());
    StartSilod();
  }

  void StartSilod() {
    auto p = SilodProcess::Start({.dir = dir_.path()});
    ASSERT_TRUE(p.ok()) << p.status();
    silod_ = std::move(*p);
    rt_ = silod_->RuntimeStub();
  }

  void TearDown() override {
    if (silod_) silod_->Stop(kSigTerm);
    for (const auto& parent : cgroup_parents_) {
      for (const char* c : {"cpu", "memory", "pids"}) {
        ::rmdir(absl::StrCat(kCgroupRoot, "/", c, "/", parent).c_str());
      }
    }
    // After a failure, pinned namespaces would keep the temp dir alive.
    if (auto info = ReadFile("/proc/self/mountinfo"); info.ok() && HasFailure()) {
      for (absl::string_view line : absl::StrSplit(*info, '\n')) {
        std::vector<std::string> f = absl::StrSplit(line, ' ');
        if (f.size() > 4 && absl::StartsWith(f[4], dir_.path())) ::umount2(f[4].c_str(), MNT_DETACH);
      }
    }
    if (in_private_ns_) {
      Sh("ip link del " + bridge_);
      if (!ip_forward_.empty()) {
        if (FILE* f = fopen(kIpForward, "w")) {
          fputs(ip_forward_.c_str(), f);
          fclose(f);
        }
      }
      EXPECT_EQ(::setns(host_ns_fd_, CLONE_NEWNET), 0) << strerror(errno);
    }
    if (host_ns_fd_ >= 0) ::close(host_ns_fd_);
  }

  grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& fn) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return fn(&ctx);
  }

  // `track`: also read the sandbox's record to learn the cgroup parent for
  // TearDown (off where the call is being timed).
  absl::StatusOr<std::string> Run(const ::runtime::v1::PodSandboxConfig& config, bool track = true) {
    ::runtime::v1::RunPodSandboxRequest req;
    *req.mutable_config() = config;
    ::runtime::v1::RunPodSandboxResponse resp;
    grpc::Status s = Call([&](auto* c) { return rt_->RunPodSandbox(c, req, &resp); });
    if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    ::runtime::v1::PodSandboxStatusResponse st;
    if (track && Status(resp.pod_sandbox_id(), &st).ok()) Info(st);
    return resp.pod_sandbox_id();
  }

  grpc::Status Status(const std::string& id, ::runtime::v1::PodSandboxStatusResponse* resp) {
    ::runtime::v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(id);
    req.set_verbose(true);
    return Call([&](auto* c) { return rt_->PodSandboxStatus(c, req, resp); });
  }

  std::vector<::runtime::v1::PodSandbox> List(const ::runtime::v1::PodSandboxFilter& filter = {}) {
    ::runtime::v1::ListPodSandboxRequest req;
    *req.mutable_filter() = filter;
    ::runtime::v1::ListPodSandboxResponse resp;
    EXPECT_TRUE(Call([&](auto* c) { return rt_->ListPodSandbox(c, req, &resp); }).ok());
    return {resp.items().begin(), resp.items().end()};
  }

  grpc::Status Stop(const std::string& id) {
    ::runtime::v1::StopPodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    ::runtime::v1::StopPodSandboxResponse resp;
    return Call([&](auto* c) { return rt_->StopPodSandbox(c, req, &resp); });
  }

  grpc::Status Remove(const std::string& id) {
    ::runtime::v1::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    ::runtime::v1::RemovePodSandboxResponse resp;
    return Call([&](auto* c) { return rt_->RemovePodSandbox(c, req, &resp); });
  }

  // The record silod keeps (PodSandboxStatus verbose info).
  nlohmann::json Info(const ::runtime::v1::PodSandboxStatusResponse& resp) {
    auto it = resp.info().find("info");
    if (it == resp.info().end()) return nullptr;
    nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
    if (j.is_object() && j.contains("cgroup_path")) {
      std::string cg = j["cgroup_path"];
      cgroup_parents_.insert(std::filesystem::path(cg).parent_path().filename().string());
    }
    return j;
  }

  std::vector<std::string> Allocations() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/ipam/silo-sbxtest", ec)) {
      std::string name = e.path().filename().string();
      if (name != "lock" && !absl::StartsWith(name, "last_reserved_ip")) out.push_back(name);
    }
    return out;
  }

  std::vector<std::string> PinnedNamespaces() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(silod_->state() + "/netns", ec)) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }

  static std::string PingCommand() {
    return Sh("command -v ping").exit_code == 0 ? "ping" : "busybox ping";
  }

  std::mt19937 rng_{std::random_device{}()};
  TempDir dir_;
  int host_ns_fd_ = -1;
  bool in_private_ns_ = false;
  std::string ip_forward_, bridge_, subnet_prefix_;
  std::set<std::string> cgroup_parents_;
  std::unique_ptr<SilodProcess> silod_;
  std::unique_ptr<RuntimeService::Stub> rt_;
};

TEST_F(SandboxIntegrationTest, ConcurrentSandboxesGetDistinctReachableIpsAndLeaveNothingBehind) {
  constexpr int kPods = 20;
  std::vector<std::string> ids(kPods);
  std::vector<double> latency_ms(kPods);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] {
      auto start = std::chrono::steady_clock::now();
      auto id = Run(Pod(absl::StrCat("pod-", i)), /*track=*/false);
      latency_ms[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      ids[i] = id.ok() ? *id : "error: " + std::string(id.status().message());
    });
  }
  for (auto& t : threads) t.join();
  std::sort(latency_ms.begin(), latency_ms.end());
  std::cout << "RunPodSandbox latency with " << kPods << " concurrent: p50 " << latency_ms[kPods / 2]
            << " ms, max " << latency_ms.back() << " ms\n";

  std::set<std::string> ips;
  std::string ping = PingCommand();
  for (int i = 0; i < kPods; ++i) {
    ASSERT_TRUE(IsValidId(ids[i])) << ids[i];
    ::runtime::v1::PodSandboxStatusResponse st;
    ASSERT_TRUE(Status(ids[i], &st).ok());
    EXPECT_EQ(st.status().id(), ids[i]);
    EXPECT_EQ(st.status().state(), ::runtime::v1::SANDBOX_READY);
    EXPECT_EQ(st.status().metadata().name(), absl::StrCat("pod-", i));
    EXPECT_EQ(st.status().labels().at("pod"), absl::StrCat("pod-", i));
    EXPECT_EQ(st.status().annotations().at("note"), "hello");
    EXPECT_GT(st.status().created_at(), 0);
    EXPECT_EQ(st.status().linux().namespaces().options().pid(), ::runtime::v1::CONTAINER);
    const std::string& ip = st.status().network().ip();
    EXPECT_TRUE(absl::StartsWith(ip, subnet_prefix_)) << ip;
    ips.insert(ip);
    nlohmann::json info = Info(st);
    ASSERT_TRUE(info.is_object());
    EXPECT_EQ(info["netns_path"], silod_->state() + "/netns/" + ids[i] + "/net");
    std::string cg = info["cgroup_path"];
    EXPECT_TRUE(std::filesystem::exists(absl::StrCat(kCgroupRoot, "/memory", cg))) << cg;
    CmdResult r = Sh(ping + " -c 1 -W 2 " + ip);
    EXPECT_EQ(r.exit_code, 0) << ip << ": " << r.output;
  }
  EXPECT_EQ(ips.size(), static_cast<size_t>(kPods));

  // Duplicate request: same id, no second sandbox.
  auto dup = Run(Pod("pod-3"));
  ASSERT_TRUE(dup.ok()) << dup.status();
  EXPECT_EQ(*dup, ids[3]);
  ::runtime::v1::PodSandboxFilter by_app;
  (*by_app.mutable_label_selector())["app"] = "sbxtest";
  EXPECT_EQ(List(by_app).size(), static_cast<size_t>(kPods));

  // Filters: id prefix, state, labels, ANDed.
  ::runtime::v1::PodSandboxFilter by_prefix;
  by_prefix.set_id(ids[5].substr(0, 20));
  ASSERT_EQ(List(by_prefix).size(), 1u);
  EXPECT_EQ(List(by_prefix)[0].id(), ids[5]);
  ASSERT_TRUE(Stop(ids[0]).ok());
  ::runtime::v1::PodSandboxFilter not_ready;
  not_ready.mutable_state()->set_state(::runtime::v1::SANDBOX_NOTREADY);
  ASSERT_EQ(List(not_ready).size(), 1u);
  EXPECT_EQ(List(not_ready)[0].id(), ids[0]);
  (*not_ready.mutable_label_selector())["pod"] = "pod-1";
  EXPECT_TRUE(List(not_ready).empty());

  threads.clear();
  std::vector<grpc::Status> results(kPods);
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] {
      results[i] = Stop(ids[i]);
      if (results[i].ok()) results[i] = Remove(ids[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kPods; ++i) EXPECT_TRUE(results[i].ok()) << ids[i] << ": " << results[i].error_message();

  EXPECT_TRUE(List().empty());
  EXPECT_TRUE(PinnedNamespaces().empty());
  EXPECT_TRUE(Allocations().empty());
  for (const auto& parent : cgroup_parents_) {
    for (const char* c : {"cpu", "memory", "pids"}) {
      std::string dir = absl::StrCat(kCgroupRoot, "/", c, "/", parent);
      // A cgroup dir always holds control files; a pod cgroup is a subdir.
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        EXPECT_FALSE(e.is_directory()) << "leaked pod cgroup " << e.path();
      }
    }
  }
  EXPECT_EQ(Sh("ip -o link show type veth").output, "");
}

TEST_F(SandboxIntegrationTest, UnknownIdsFollowCriRules) {
  EXPECT_TRUE(Stop(NewId()).ok());
  EXPECT_TRUE(Remove(NewId()).ok());
  ::runtime::v1::PodSandboxStatusResponse st;
  EXPECT_EQ(Status(NewId(), &st).error_code(), grpc::StatusCode::NOT_FOUND);
  auto bad = Run(Pod("x"));
  ASSERT_TRUE(bad.ok());
  ::runtime::v1::RunPodSandboxRequest req;
  *req.mutable_config() = Pod("y");
  req.set_runtime_handler("no-such-handler");
  ::runtime::v1::RunPodSandboxResponse resp;
  grpc::Status s = Call([&](auto* c) { return rt_->RunPodSandbox(c, req, &resp); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("no-such-handler"), std::string::npos) << s.error_message();
  EXPECT_TRUE(Remove(*bad).ok());
}

TEST_F(SandboxIntegrationTest, BandwidthAnnotationsShapeThePodAndBadOnesAreRejected) {
  ::runtime::v1::PodSandboxConfig pod = Pod("shaped");
  (*pod.mutable_annotations())["kubernetes.io/ingress-bandwidth"] = "10M";
  (*pod.mutable_annotations())["kubernetes.io/egress-bandwidth"] = "20M";
  auto id = Run(pod);
  ASSERT_TRUE(id.ok()) << id.status();
  // The bandwidth plugin shapes ingress with a tbf qdisc on the host-side
  // veth and egress on an ifb device it mirrors the pod's traffic to.
  std::string qdiscs = Sh("tc qdisc show").output;
  EXPECT_NE(qdiscs.find("rate 10Mbit"), std::string::npos) << qdiscs;
  EXPECT_NE(qdiscs.find("rate 20Mbit"), std::string::npos) << qdiscs;
  EXPECT_NE(Sh("ip -o link show type ifb").output, "");
  ASSERT_TRUE(Stop(*id).ok());
  ASSERT_TRUE(Remove(*id).ok());
  EXPECT_EQ(Sh("tc qdisc show | grep tbf").output, "");
  EXPECT_EQ(Sh("ip -o link show type ifb").output, "");

  ::runtime::v1::PodSandboxConfig bad = Pod("badly-shaped");
  (*bad.mutable_annotations())["kubernetes.io/ingress-bandwidth"] = "10 megabits";
  ::runtime::v1::RunPodSandboxRequest req;
  *req.mutable_config() = bad;
  ::runtime::v1::RunPodSandboxResponse resp;
  grpc::Status s = Call([&](auto* c) { return rt_->RunPodSandbox(c, req, &resp); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("kubernetes.io/ingress-bandwidth"), std::string::npos) << s.error_message();
  EXPECT_TRUE(List().empty());
  EXPECT_TRUE(PinnedNamespaces().empty());
}

TEST_F(SandboxIntegrationTest, ReadySandboxSurvivesSigkillOfSilod) {
  auto id = Run(Pod("survivor"));
  ASSERT_TRUE(id.ok()) << id.status();
  ::runtime::v1::PodSandboxStatusResponse before;
  ASSERT_TRUE(Status(*id, &before).ok());
  Info(before);

  EXPECT_EQ(silod_->Stop(kSigKill), 128 + kSigKill);
  silod_.reset();
  StartSilod();

  ::runtime::v1::PodSandboxStatusResponse after;
  ASSERT_TRUE(Status(*id, &after).ok());
  EXPECT_EQ(after.status().state(), ::runtime::v1::SANDBOX_READY);
  EXPECT_EQ(after.status().network().ip(), before.status().network().ip());
  auto listed = List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id(), *id);
  EXPECT_EQ(*Run(Pod("survivor")), *id) << "the name is still reserved after a restart";
  CmdResult r = Sh(PingCommand() + " -c 1 -W 2 " + after.status().network().ip());
  EXPECT_EQ(r.exit_code, 0) << r.output;

  ASSERT_TRUE(Remove(*id).ok());
  EXPECT_TRUE(PinnedNamespaces().empty());
  EXPECT_TRUE(Allocations().empty());
}

// Kills silod with SIGKILL at a random point while workers create and remove
// sandboxes, restarts it and checks that recovery left no half-made sandbox
// and that every namespace, pod cgroup and IP allocation belongs to a listed
// sandbox. At the end everything is removed and nothing may remain.
TEST_F(SandboxIntegrationTest, SigkillDuringConcurrentRunAndRemoveLeaksNothing) {
  constexpr int kRounds = 30;
  constexpr int kWorkers = 3;
  // One tracked sandbox teaches TearDown the cgroup parent.
  auto first = Run(Pod("crash-first"));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(cgroup_parents_.size(), 1u);
  const std::string parent = *cgroup_parents_.begin();
  ASSERT_TRUE(Remove(*first).ok());

  int created = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::atomic<bool> stop{false};
    std::atomic<int> made{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back([&, w] {
        for (int k = 0; !stop.load(); ++k) {
          auto id = Run(Pod(absl::StrCat("crash-", round, "-", w, "-", k)), /*track=*/false);
          if (!id.ok()) break;  // silod is gone
          ++made;
          if (k % 2 == 0 && !Remove(*id).ok()) break;  // keep every other one across the kill
        }
      });
    }
    // The kill point: a random moment into the workers' run.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(10, 400)(rng_)));
    silod_->Stop(kSigKill);
    stop = true;
    for (auto& t : workers) t.join();
    created += made.load();
    silod_.reset();
    StartSilod();
    ASSERT_NE(silod_, nullptr);

    std::set<std::string> ids;
    for (const auto& sb : List()) {
      ids.insert(sb.id());
      ::runtime::v1::PodSandboxStatusResponse st;
      ASSERT_TRUE(Status(sb.id(), &st).ok());
      EXPECT_NE(Info(st)["state"], "CREATING") << "round " << round << ": " << sb.id();
    }
    for (const auto& ns : PinnedNamespaces()) EXPECT_TRUE(ids.count(ns)) << "round " << round << ": leaked netns " << ns;
    std::error_code ec;
    for (const char* c : {"cpu", "memory", "pids"}) {
      for (const auto& e : std::filesystem::directory_iterator(absl::StrCat(kCgroupRoot, "/", c, "/", parent), ec)) {
        if (e.is_directory()) {
          EXPECT_TRUE(ids.count(e.path().filename().string())) << "round " << round << ": leaked cgroup " << e.path();
        }
      }
    }
    for (const auto& ip : Allocations()) {
      auto owner = ReadFile(dir_.path() + "/ipam/silo-sbxtest/" + ip);
      ASSERT_TRUE(owner.ok());
      std::string id = owner->substr(0, owner->find_first_of("\r\n"));
      EXPECT_TRUE(ids.count(id)) << "round " << round << ": leaked IP " << ip << " of " << id;
    }
  }
  std::cout << "crash test: " << created << " sandboxes created over " << kRounds << " kills\n";

  for (const auto& sb : List()) {
    grpc::Status s = Remove(sb.id());
    EXPECT_TRUE(s.ok()) << sb.id() << ": " << s.error_message();
  }
  EXPECT_TRUE(List().empty());
  EXPECT_TRUE(PinnedNamespaces().empty());
  EXPECT_TRUE(Allocations().empty());
  EXPECT_EQ(Sh("ip -o link show type veth").output, "");
  std::error_code ec;
  for (const char* c : {"cpu", "memory", "pids"}) {
    for (const auto& e : std::filesystem::directory_iterator(absl::StrCat(kCgroupRoot, "/", c, "/", parent), ec)) {
      EXPECT_FALSE(e.is_directory()) << "leaked pod cgroup " << e.path();
    }
  }
}

}  // namespace
}  // namespace silo::testing
