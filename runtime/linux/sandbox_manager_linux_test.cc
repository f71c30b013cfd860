// SandboxManager on the real Linux host (pinned namespaces, cgroupfs, SQLite;
// needs root). The network is a recording PodNetwork, so these tests need no
// CNI; tests/integration/sandbox_test.cc covers real CNI plugins.

#include "runtime/sandbox/sandbox_manager.h"

#include <fstream>
#include <sstream>

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "network/netns/pinned_namespaces.h"
#include "runtime/base/file_util.h"
#include "runtime/linux/pod_init.h"
#include "runtime/base/ids.h"
#include "runtime/fake/fake_container_host.h"
#include "runtime/fake/fake_process_streaming.h"
#include "runtime/fake/fake_stats_source.h"
#include "runtime/handler/assembled_handler.h"
#include "runtime/linux/linux_sandbox_host.h"
#include "runtime/store/metadata_db.h"

namespace silo::runtime::sandbox {
namespace {

using model::SandboxState;

class RecordingNetwork : public network::PodNetwork {
 public:
  absl::Status Ready() const override { return absl::OkStatus(); }
  absl::StatusOr<network::Attachment> Attach(const network::AttachRequest& r) override {
    std::lock_guard<std::mutex> l(mu);
    ++attaches;
    last = r;
    if (!fail_attach.ok()) return fail_attach;
    return network::Attachment{absl::StrCat("10.0.0.", attaches), {}};
  }
  absl::Status Detach(const network::AttachRequest& r) override {
    std::lock_guard<std::mutex> l(mu);
    detached.push_back(r.sandbox_id);
    last_detach = r;
    return fail_detach;
  }
  std::mutex mu;
  int attaches = 0;
  network::AttachRequest last;
  network::AttachRequest last_detach;
  absl::Status fail_attach;
  absl::Status fail_detach;
  std::vector<std::string> detached;
};

class RecordingEvents : public events::EventSink {
 public:
  void Publish(events::Event event) override {
    std::lock_guard<std::mutex> l(mu);
    published.push_back(std::move(event));
  }
  // "STOPPED:<id>" style summaries, in order.
  std::vector<std::string> Types(events::EventType type) {
    std::lock_guard<std::mutex> l(mu);
    std::vector<std::string> ids;
    for (const auto& e : published) {
      if (e.type == type) ids.push_back(e.id);
    }
    return ids;
  }
  std::mutex mu;
  std::vector<events::Event> published;
};

::runtime::v1::PodSandboxConfig Pod(const std::string& name) {
  ::runtime::v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid("uid-" + name);
  c.set_hostname(name + "-host");
  // What kubelet sends for an ordinary pod (the proto default is POD).
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(::runtime::v1::CONTAINER);
  (*c.mutable_labels())["app"] = name;
  c.mutable_dns_config()->add_servers("10.96.0.10");
  auto* pm = c.add_port_mappings();
  pm->set_container_port(80);
  pm->set_host_port(8080);
  return c;
}

class SandboxManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/silo-sbxmgr-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cg_options_.parent = "silo-test-" + RandomHex(6);
    auto db = store::MetadataDb::Open(dir_ + "/root");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    Restart();
  }

  // A fresh manager over the same database and host, as after a silod restart.
  void Restart() {
    manager_.reset();
    store_ = std::make_unique<store::SandboxStore>(db_.get());
    auto cg = linux_backend::PodCgroups::Open(cg_options_);
    ASSERT_TRUE(cg.ok()) << cg.status();
    cgroups_ = std::make_unique<linux_backend::PodCgroups>(*cg);
    // The real Linux sandbox host behind a handler; containers are not run here.
    handlers_ = std::make_unique<handler::HandlerRegistry>();
    handlers_->AddType({"runc", [this, cgroups = *cg](const handler::HandlerSpec& spec)
                                    -> absl::StatusOr<std::unique_ptr<handler::RuntimeHandler>> {
                          handler::HandlerParts parts;
                          parts.sandboxes = std::make_unique<linux_backend::LinuxSandboxHost>(netns_dir(), cgroups);
                          parts.containers = std::make_unique<fake::FakeContainerHost>(spec.name);
                          parts.streaming = std::make_unique<fake::FakeProcessStreaming>(spec.name);
                          parts.stats = std::make_unique<fake::FakeStatsSource>();
                          return std::make_unique<handler::AssembledHandler>(std::move(parts));
                        }});
    ASSERT_TRUE(handlers_->Configure({{"", "runc", {}}, {"fast", "runc", {}}}, "").ok());
    host_ = &handlers_->Default().Sandboxes();
    SandboxManagerOptions o;
    o.files_dir = dir_ + "/root/sandboxes";
    o.node_hostname = "node-a";
    manager_ = std::make_unique<SandboxManager>(o, store_.get(), handlers_.get(), &network_, &events_);
    ASSERT_TRUE(manager_->Recover().ok());
  }

  void TearDown() override {
    if (dir_.empty()) return;
    if (auto names = network::netns::ListPinned(netns_dir()); names.ok()) {
      // A pod init left by a failed test goes first, or it would outlive the test.
      for (const auto& n : *names) {
        (void)linux_backend::StopPodInit(netns_dir() + "/" + n);
        (void)network::netns::RemovePinned(netns_dir(), n);
      }
    }
    if (cgroups_) {
      if (auto ids = cgroups_->List(); ids.ok()) {
        for (const auto& id : *ids) (void)cgroups_->Remove(id);
      }
      for (const auto& d : cgroups_->Dirs("x")) ::rmdir(std::filesystem::path(d).parent_path().c_str());
    }
    manager_.reset();
    store_.reset();
    db_.reset();
    // Sandboxes a test left behind keep their shm tmpfs mounted.
    std::ifstream info("/proc/self/mountinfo");
    std::string line;
    while (std::getline(info, line)) {
      std::istringstream f(line);
      std::string id, parent, dev, root, point;
      f >> id >> parent >> dev >> root >> point;
      if (point.rfind(dir_ + "/", 0) == 0) ::umount2(point.c_str(), MNT_DETACH);
    }
    std::filesystem::remove_all(dir_);
  }

  std::string netns_dir() const { return dir_ + "/state/netns"; }
  bool CgroupExists(const std::string& id) { return std::filesystem::exists(cgroups_->Dirs(id)[0]); }

  std::string dir_;
  linux_backend::PodCgroups::Options cg_options_;
  std::unique_ptr<store::MetadataDb> db_;
  std::unique_ptr<store::SandboxStore> store_;
  std::unique_ptr<handler::HandlerRegistry> handlers_;
  SandboxHost* host_ = nullptr;  // the default handler's
  std::unique_ptr<linux_backend::PodCgroups> cgroups_;
  RecordingNetwork network_;
  RecordingEvents events_;
  std::unique_ptr<SandboxManager> manager_;
};

TEST_F(SandboxManagerTest, RunMakesAReadySandboxWithNamespacesCgroupFilesAndNetwork) {
  auto id = manager_->Run(Pod("web"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  auto r = manager_->Status(*id);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, SandboxState::kReady);
  EXPECT_EQ(r->ip, "10.0.0.1");
  EXPECT_EQ(r->netns_path, netns_dir() + "/" + *id + "/net");
  EXPECT_TRUE(network::netns::IsPinned(r->netns_path));
  EXPECT_TRUE(CgroupExists(*id));
  EXPECT_EQ(r->cgroup_path, absl::StrCat("/", cg_options_.parent, "/", *id));
  EXPECT_EQ(r->hostname, "web-host");
  EXPECT_EQ(*ReadFile(manager_->FilesDir(*id) + "/resolv.conf"), "nameserver 10.96.0.10\n");
  EXPECT_NE(ReadFile(manager_->FilesDir(*id) + "/hosts")->find("10.0.0.1\tweb-host"), std::string::npos);
  // The network got the pod's identity, its namespace and its port mappings.
  EXPECT_EQ(network_.last.sandbox_id, *id);
  EXPECT_EQ(network_.last.netns, r->netns_path);
  EXPECT_EQ(network_.last.pod_uid, "uid-web");
  ASSERT_EQ(network_.last.port_mappings.size(), 1u);
  EXPECT_EQ(network_.last.port_mappings[0].host_port, 8080);
  EXPECT_EQ(network_.last.dns.servers, std::vector<std::string>{"10.96.0.10"});
}

TEST_F(SandboxManagerTest, DuplicateRunReturnsTheSameIdEvenConcurrently) {
  std::vector<std::string> ids(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ids.size(); ++i) {
    threads.emplace_back([&, i] {
      auto id = manager_->Run(Pod("dup"), "");
      ids[i] = id.ok() ? *id : "error: " + std::string(id.status().message());
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_TRUE(IsValidId(ids[0])) << ids[0];
  EXPECT_EQ(manager_->List({}).size(), 1u);
  EXPECT_EQ(network_.attaches, 1);
  EXPECT_EQ(*manager_->Run(Pod("dup"), ""), ids[0]);
}

TEST_F(SandboxManagerTest, InvalidRequestsAreRejectedBeforeAnySideEffect) {
  auto pod = Pod("bad");
  pod.mutable_metadata()->clear_uid();
  EXPECT_EQ(manager_->Run(pod, "").status().code(), absl::StatusCode::kInvalidArgument);
  auto s = manager_->Run(Pod("bad"), "nope").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"fast\""), std::string::npos) << s;
  EXPECT_TRUE(manager_->List({}).empty());
  EXPECT_TRUE(manager_->Run(Pod("bad"), "fast").ok());
}

TEST_F(SandboxManagerTest, BandwidthAnnotationsReachTheNetworkAndBadOnesAreRejected) {
  auto pod = Pod("shaped");
  (*pod.mutable_annotations())["kubernetes.io/ingress-bandwidth"] = "1M";
  (*pod.mutable_annotations())["kubernetes.io/egress-bandwidth"] = "2Mi";
  auto id = manager_->Run(pod, "");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(network_.last.bandwidth.ingress_bps, 1000000u);
  EXPECT_EQ(network_.last.bandwidth.egress_bps, 2097152u);

  auto bad = Pod("badly-shaped");
  (*bad.mutable_annotations())["kubernetes.io/egress-bandwidth"] = "lots";
  absl::Status s = manager_->Run(bad, "").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("kubernetes.io/egress-bandwidth"), std::string::npos) << s;
  EXPECT_EQ(manager_->List({}).size(), 1u);
  EXPECT_EQ(network_.attaches, 1);
}

// The filesystem type mounted at `path`, "" when it is not a mount point.
std::string MountTypeAt(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point, rest;
    f >> id >> parent >> dev >> root >> point;
    if (point != path) continue;
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream t(line.substr(dash + 3));
    std::string type;
    t >> type;
    return type;
  }
  return "";
}

TEST_F(SandboxManagerTest, PodsWithTheirOwnIpcGetASharedShmTmpfs) {
  auto id = manager_->Run(Pod("shm"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  const std::string shm = dir_ + "/root/sandboxes/" + *id + "/shm";
  EXPECT_EQ(MountTypeAt(shm), "tmpfs");
  auto host_ipc = Pod("host-ipc");
  host_ipc.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_ipc(::runtime::v1::NODE);
  auto hid = manager_->Run(host_ipc, "");
  ASSERT_TRUE(hid.ok()) << hid.status();
  EXPECT_EQ(MountTypeAt(dir_ + "/root/sandboxes/" + *hid + "/shm"), "") << "host IPC pods use the node's /dev/shm";
  ASSERT_TRUE(manager_->Remove(*id).ok());
  EXPECT_EQ(MountTypeAt(shm), "");
  EXPECT_FALSE(std::filesystem::exists(shm));
  ASSERT_TRUE(manager_->Remove(*hid).ok());
}

TEST_F(SandboxManagerTest, FailedAttachUndoesEverything) {
  network_.fail_attach = absl::UnavailableError("plugin down");
  auto id = manager_->Run(Pod("fail"), "");
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(manager_->List({}).empty());
  EXPECT_TRUE(network::netns::ListPinned(netns_dir())->empty());
  EXPECT_TRUE(cgroups_->List()->empty());
  EXPECT_EQ(network_.detached.size(), 1u) << "a failed ADD is followed by DEL";
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/root/sandboxes") &&
               !std::filesystem::is_empty(dir_ + "/root/sandboxes"));
  network_.fail_attach = absl::OkStatus();
  EXPECT_TRUE(manager_->Run(Pod("fail"), "").ok()) << "the name was released";
}

TEST_F(SandboxManagerTest, FailedUndoLeavesAnUnknownSandboxThatRemoveFinishes) {
  network_.fail_attach = absl::UnavailableError("plugin down");
  network_.fail_detach = absl::InternalError("DEL failed too");
  EXPECT_FALSE(manager_->Run(Pod("stuck"), "").ok());
  auto listed = manager_->List({});
  ASSERT_EQ(listed.size(), 1u) << "a half-made sandbox is never hidden";
  EXPECT_EQ(listed[0].state, SandboxState::kUnknown);
  EXPECT_EQ(model::ToCri(listed[0].state), ::runtime::v1::SANDBOX_NOTREADY);
  EXPECT_EQ(*manager_->Run(Pod("stuck"), ""), listed[0].id) << "its name stays reserved";
  EXPECT_FALSE(manager_->Remove(listed[0].id).ok());

  network_.fail_detach = absl::OkStatus();
  ASSERT_TRUE(manager_->Remove(listed[0].id).ok());
  EXPECT_TRUE(manager_->List({}).empty());
  EXPECT_TRUE(network::netns::ListPinned(netns_dir())->empty());
  EXPECT_TRUE(cgroups_->List()->empty());
}

TEST_F(SandboxManagerTest, StopRemoveAndStatusFollowCriRules) {
  EXPECT_TRUE(manager_->Stop("unknown").ok());
  EXPECT_TRUE(manager_->Remove("unknown").ok());
  EXPECT_EQ(manager_->Status("unknown").status().code(), absl::StatusCode::kNotFound);

  auto id = manager_->Run(Pod("life"), "");
  ASSERT_TRUE(id.ok());
  // "" is no prefix of every id: it names nothing.
  EXPECT_TRUE(manager_->Stop("").ok());
  EXPECT_TRUE(manager_->Remove("").ok());
  EXPECT_EQ(manager_->Status("").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->Status(*id)->state, SandboxState::kReady);
  ASSERT_TRUE(manager_->Stop(id->substr(0, 12)).ok());
  EXPECT_EQ(manager_->Status(*id)->state, SandboxState::kNotReady);
  EXPECT_EQ(network_.detached, std::vector<std::string>{*id});
  EXPECT_TRUE(manager_->Stop(*id).ok()) << "stop is idempotent";

  ASSERT_TRUE(manager_->Remove(*id).ok());
  EXPECT_EQ(manager_->Status(*id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(netns_dir() + "/" + *id));
  EXPECT_FALSE(CgroupExists(*id));
  EXPECT_FALSE(std::filesystem::exists(manager_->FilesDir(*id)));
  EXPECT_TRUE(manager_->Remove(*id).ok());
  auto again = manager_->Run(Pod("life"), "");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, *id) << "the name was released by Remove";
}

TEST_F(SandboxManagerTest, RemoveOfAReadySandboxStopsItFirst) {
  auto id = manager_->Run(Pod("direct"), "");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(manager_->Remove(*id).ok());
  EXPECT_EQ(network_.detached, std::vector<std::string>{*id});
  EXPECT_TRUE(network::netns::ListPinned(netns_dir())->empty());
}

// A crash between unmounting and unlinking leaves a plain file where the
// namespace was: DEL must still run (to free IPAM) but without that path.
TEST_F(SandboxManagerTest, RemoveAfterACrashWhileUnpinningStillDetaches) {
  auto id = manager_->Run(Pod("torn"), "");
  ASSERT_TRUE(id.ok());
  std::string net = manager_->Status(*id)->netns_path;
  ASSERT_EQ(::umount2(net.c_str(), MNT_DETACH), 0);
  ASSERT_TRUE(std::filesystem::exists(net));
  Restart();
  EXPECT_EQ(manager_->Status(*id)->state, SandboxState::kNotReady);
  ASSERT_TRUE(manager_->Remove(*id).ok());
  EXPECT_EQ(network_.detached, std::vector<std::string>{*id});
  EXPECT_EQ(network_.last_detach.netns, "");
  EXPECT_TRUE(network::netns::ListPinned(netns_dir())->empty());
}

TEST_F(SandboxManagerTest, HostNetworkPodsGetNoNetworkNamespaceAndNoAttach) {
  auto pod = Pod("hostnet");
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(::runtime::v1::NODE);
  auto id = manager_->Run(pod, "");
  ASSERT_TRUE(id.ok()) << id.status();
  auto r = manager_->Status(*id);
  EXPECT_TRUE(r->netns_path.empty());
  EXPECT_EQ(r->hostname, "node-a");
  EXPECT_EQ(network_.attaches, 0);
  EXPECT_TRUE(CgroupExists(*id));
  ASSERT_TRUE(manager_->Remove(*id).ok());
  EXPECT_TRUE(network_.detached.empty());
}

TEST_F(SandboxManagerTest, AnEmptyHostnameIsTheNodesEvenForALongPodName) {
  auto pod = Pod(std::string(80, 'n'));
  pod.clear_hostname();
  auto id = manager_->Run(pod, "");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(manager_->Status(*id)->hostname, "node-a");
  ASSERT_TRUE(manager_->Remove(*id).ok());
}

TEST_F(SandboxManagerTest, AHostnameOver64BytesIsInvalidArgumentNamingTheLimitAndMakesNothing) {
  auto pod = Pod("longname");
  pod.set_hostname(std::string(65, 'h'));
  auto id = manager_->Run(pod, "");
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(id.status().message()), ::testing::HasSubstr("64"));
  EXPECT_TRUE(network::netns::ListPinned(netns_dir())->empty());
  EXPECT_EQ(network_.attaches, 0);
  pod.set_hostname(std::string(64, 'h'));
  id = manager_->Run(pod, "");
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(manager_->Remove(*id).ok());
}

TEST_F(SandboxManagerTest, APodSharingOnePidNamespaceHasAnInitUntilRemoved) {
  auto pod = Pod("sharedpid");
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(::runtime::v1::POD);
  auto id = manager_->Run(pod, "");
  ASSERT_TRUE(id.ok()) << id.status();
  const std::string dir = netns_dir() + "/" + *id;
  EXPECT_TRUE(network::netns::IsPinned(dir + "/pid"));
  auto record = ReadFile(dir + "/pid-init");
  ASSERT_TRUE(record.ok()) << record.status();
  int pid = std::stoi(*record);
  EXPECT_EQ(::kill(pid, 0), 0) << "the init is alive";
  auto comm = ReadFile(absl::StrCat("/proc/", pid, "/comm"));
  EXPECT_EQ(comm.value_or(""), "silo-pod-init\n");
  ASSERT_TRUE(manager_->Remove(*id).ok());
  // Gone, or a zombie waiting for whichever process adopted it.
  auto alive = [pid] {
    auto stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    return stat.ok() && stat->find(") Z ") == std::string::npos;
  };
  for (int i = 0; i < 200 && alive(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(alive()) << "the init is gone";
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST_F(SandboxManagerTest, ListFiltersByIdPrefixStateAndLabels) {
  auto a = manager_->Run(Pod("a"), "");
  auto b = manager_->Run(Pod("b"), "");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(manager_->Stop(*b).ok());
  EXPECT_EQ(manager_->List({}).size(), 2u);
  EXPECT_EQ(manager_->List({.id = a->substr(0, 10)}).size(), 1u);
  auto ready = manager_->List({.state = SandboxState::kReady});
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].id, *a);
  EXPECT_EQ(manager_->List({.labels = {{"app", "b"}}})[0].id, *b);
  EXPECT_TRUE(manager_->List({.state = SandboxState::kReady, .labels = {{"app", "b"}}}).empty());
}

TEST_F(SandboxManagerTest, RecoveryRollsBackCreatingAndRemovesLeaks) {
  // A sandbox that died half made: record CREATING, namespaces and cgroup made.
  model::SandboxRecord half;
  half.id = NewId();
  half.metadata = {"half", "default", "uid-half", 0};
  half.state = SandboxState::kCreating;
  ASSERT_TRUE(store_->Add(half).ok());
  ASSERT_TRUE(host_->CreateNamespaces(half.id, {}).ok());
  ASSERT_TRUE(host_->CreatePodGroup(half.id).ok());
  // Leaks that no record owns.
  std::string leak = NewId();
  ASSERT_TRUE(host_->CreateNamespaces(leak, {}).ok());
  ASSERT_TRUE(host_->CreatePodGroup(leak).ok());
  // A READY sandbox whose namespace vanished, and a healthy one.
  auto gone = manager_->Run(Pod("gone"), "");
  auto fine = manager_->Run(Pod("fine"), "");
  ASSERT_TRUE(gone.ok() && fine.ok());
  ASSERT_TRUE(network::netns::RemovePinned(netns_dir(), *gone).ok());

  Restart();

  EXPECT_EQ(manager_->Status(half.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->Status(*gone)->state, SandboxState::kNotReady);
  EXPECT_EQ(manager_->Status(*fine)->state, SandboxState::kReady);
  auto pinned = network::netns::ListPinned(netns_dir());
  EXPECT_EQ(*pinned, std::vector<std::string>{*fine});
  auto groups = cgroups_->List();
  std::vector<std::string> want = {*fine, *gone};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(*groups, want);
  // Names survive the restart: a duplicate Run still finds the sandbox.
  EXPECT_EQ(*manager_->Run(Pod("fine"), ""), *fine);
  EXPECT_TRUE(manager_->Remove(*gone).ok());
  // Recovery's transition is published like any other.
  EXPECT_EQ(events_.Types(events::EventType::kStopped), std::vector<std::string>{*gone});
}

TEST_F(SandboxManagerTest, RecoveryFinishesAStopInterruptedAroundCniDel) {
  auto id = manager_->Run(Pod("stopping"), "");
  ASSERT_TRUE(id.ok());
  // silod died after recording its intent to detach (and maybe after the
  // DEL itself) but before recording NOTREADY.
  ASSERT_TRUE(store_->Update(*id, [](model::SandboxRecord& r) {
                      r.AddStep("network_detaching", "", 1);
                      return absl::OkStatus();
                    }).ok());
  network_.detached.clear();

  Restart();

  EXPECT_EQ(manager_->Status(*id)->state, SandboxState::kNotReady);
  EXPECT_EQ(network_.detached, std::vector<std::string>{*id}) << "DEL is repeated, as it is idempotent";
  EXPECT_EQ(events_.Types(events::EventType::kStopped), std::vector<std::string>{*id});
  // Stop and Remove afterwards do not detach again.
  EXPECT_TRUE(manager_->Stop(*id).ok());
  EXPECT_TRUE(manager_->Remove(*id).ok());
  EXPECT_EQ(network_.detached.size(), 1u);
  EXPECT_EQ(events_.Types(events::EventType::kStopped).size(), 1u);
}

TEST_F(SandboxManagerTest, StopRecordsItsIntentBeforeCniDel) {
  auto id = manager_->Run(Pod("intent"), "");
  ASSERT_TRUE(id.ok());
  network_.fail_detach = absl::UnavailableError("plugin hung");
  EXPECT_EQ(manager_->Stop(*id).code(), absl::StatusCode::kUnavailable);
  auto r = manager_->Status(*id);
  EXPECT_EQ(r->state, SandboxState::kReady) << "a failed DEL leaves the pod READY for kubelet to retry";
  EXPECT_TRUE(r->HasStep("network_detaching"));
  EXPECT_FALSE(r->HasStep("network_detached"));
  network_.fail_detach = absl::OkStatus();
  EXPECT_TRUE(manager_->Stop(*id).ok());
  EXPECT_EQ(manager_->Status(*id)->state, SandboxState::kNotReady);
  EXPECT_TRUE(manager_->Remove(*id).ok());
}

}  // namespace
}  // namespace silo::runtime::sandbox
