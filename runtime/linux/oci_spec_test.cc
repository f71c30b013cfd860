#include "runtime/linux/oci_spec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace silo::runtime::linux_backend {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::Not;

OciSpecInput Basic() {
  OciSpecInput in;
  in.process.args = {"/bin/sh", "-c", "echo hi"};
  in.process.env = {"PATH=/bin", "A=b"};
  in.process.cwd = "/work";
  in.process.user = {1000, 1001, {5, 6}};
  in.rootfs = "/var/lib/silo/c1/rootfs";
  in.readonly_rootfs = true;
  in.hostname = "pod-a";
  return in;
}

TEST(OciSpecTest, GoldenBasicDocument) {
  auto spec = BuildOciSpec(Basic(), 0);
  ASSERT_TRUE(spec.ok()) << spec.status();
  const json& s = *spec;
  EXPECT_EQ(s["ociVersion"], "1.0.2");
  EXPECT_EQ(s["hostname"], "pod-a");
  EXPECT_EQ(s["root"], json::parse(R"({"path":"/var/lib/silo/c1/rootfs","readonly":true})"));
  EXPECT_EQ(s["process"]["args"], json::parse(R"(["/bin/sh","-c","echo hi"])"));
  EXPECT_EQ(s["process"]["env"], json::parse(R"(["PATH=/bin","A=b"])"));
  EXPECT_EQ(s["process"]["cwd"], "/work");
  EXPECT_EQ(s["process"]["user"], json::parse(R"({"uid":1000,"gid":1001,"additionalGids":[5,6]})"));
  EXPECT_EQ(s["process"]["terminal"], false);
  EXPECT_EQ(s["process"]["noNewPrivileges"], true);
  EXPECT_FALSE(s["process"].contains("oomScoreAdj"));
  EXPECT_EQ(s["process"]["capabilities"]["bounding"].size(), 14u);
  EXPECT_EQ(s["process"]["capabilities"]["bounding"], s["process"]["capabilities"]["effective"]);
  EXPECT_EQ(s["linux"]["namespaces"],
            json::parse(R"([{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}])"));
  EXPECT_FALSE(s["linux"].contains("cgroupsPath"));
  EXPECT_EQ(s["linux"]["resources"], json::parse(R"({"devices":[{"allow":false,"access":"rwm"}]})"));
  EXPECT_THAT(s["linux"]["maskedPaths"], Contains("/proc/kcore"));
  EXPECT_THAT(s["linux"]["readonlyPaths"], Contains("/proc/sys"));
  std::vector<std::string> dests;
  for (const auto& m : s["mounts"]) dests.push_back(m["destination"]);
  EXPECT_EQ(dests, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                                             "/sys/fs/cgroup"}));
  EXPECT_EQ(s["mounts"][5], json::parse(
      R"({"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]})"));
}

TEST(OciSpecTest, NamespacesMayJoinPinnedPaths) {
  OciSpecInput in = Basic();
  in.namespaces = {{"pid", ""}, {"mount", ""}, {"network", "/run/netns/pod-a"}, {"ipc", "/run/silo/ns/ipc-a"},
                   {"uts", "/run/silo/ns/uts-a"}};
  auto spec = BuildOciSpec(in, 0);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ((*spec)["linux"]["namespaces"][2], json::parse(R"({"type":"network","path":"/run/netns/pod-a"})"));
  EXPECT_EQ((*spec)["linux"]["namespaces"][0], json::parse(R"({"type":"pid"})"));
  in.namespaces = {{"time", ""}};
  EXPECT_EQ(BuildOciSpec(in, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OciSpecTest, ResourcesAndCgroupsPath) {
  OciSpecInput in = Basic();
  in.cgroups_path = "/silo/pod-a/c1";
  in.resources.cpu_shares = 512;
  in.resources.cpu_quota = 50000;
  in.resources.cpu_period = 100000;
  in.resources.cpuset_cpus = "0-1";
  in.resources.cpuset_mems = "0";
  in.resources.memory_limit_bytes = 32 << 20;
  in.resources.pids_limit = 100;
  auto spec = BuildOciSpec(in, 0);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ((*spec)["linux"]["cgroupsPath"], "/silo/pod-a/c1");
  EXPECT_EQ((*spec)["linux"]["resources"], json::parse(R"({
    "devices":[{"allow":false,"access":"rwm"}],
    "cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0-1","mems":"0"},
    "memory":{"limit":33554432},
    "pids":{"limit":100}})"));
}

TEST(OciSpecTest, BindMountsAppendAndReplaceDefaults) {
  OciSpecInput in = Basic();
  in.mounts = {{"/data", "bind", "/srv/data", {"rbind", "ro"}},
               {"/dev/shm", "bind", "/run/silo/pod-a/shm", {"rbind", "rw"}}};
  auto spec = BuildOciSpec(in, 0);
  ASSERT_TRUE(spec.ok());
  const json& mounts = (*spec)["mounts"];
  int shm = 0;
  for (const auto& m : mounts) {
    if (m["destination"] == "/dev/shm") {
      ++shm;
      EXPECT_EQ(m["source"], "/run/silo/pod-a/shm");
    }
  }
  EXPECT_EQ(shm, 1);
  EXPECT_EQ(mounts.back(), json::parse(
      R"({"destination":"/dev/shm","type":"bind","source":"/run/silo/pod-a/shm","options":["rbind","rw"]})"));
  EXPECT_EQ(mounts[mounts.size() - 2]["destination"], "/data");
  in.mounts = {{"relative", "bind", "/x", {}}};
  EXPECT_EQ(BuildOciSpec(in, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OciSpecTest, CapabilitiesAddAndDrop) {
  auto caps = EffectiveCapabilities({"net_admin", "CAP_SYS_TIME", "kill"}, {"CAP_MKNOD", "net_raw"});
  ASSERT_TRUE(caps.ok());
  EXPECT_THAT(*caps, Contains("CAP_NET_ADMIN"));
  EXPECT_THAT(*caps, Contains("CAP_SYS_TIME"));
  EXPECT_THAT(*caps, Not(Contains("CAP_MKNOD")));
  EXPECT_THAT(*caps, Not(Contains("CAP_NET_RAW")));
  EXPECT_EQ(std::count(caps->begin(), caps->end(), "CAP_KILL"), 1);  // no duplicate
  EXPECT_EQ(caps->size(), 14u);

  caps = EffectiveCapabilities({"CHOWN"}, {"ALL"});
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(*caps, std::vector<std::string>{"CAP_CHOWN"});
  caps = EffectiveCapabilities({"ALL"}, {});
  ASSERT_TRUE(caps.ok());
  EXPECT_THAT(*caps, Contains("CAP_SYS_ADMIN"));
  EXPECT_EQ(EffectiveCapabilities({"CAP_FLY"}, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EffectiveCapabilities({}, {"teleport"}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OciSpecTest, OomScoreAdjIsClampedToFloor) {
  OciProcess p;
  p.args = {"/bin/true"};
  p.oom_score_adj = -998;
  auto j = BuildOciProcess(p, 0);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["oomScoreAdj"], 0);
  j = BuildOciProcess(p, -1000);
  EXPECT_EQ((*j)["oomScoreAdj"], -998);
  p.oom_score_adj = 500;
  j = BuildOciProcess(p, 100);
  EXPECT_EQ((*j)["oomScoreAdj"], 500);
}

TEST(OciSpecTest, RejectsBadProcessAndRootfs) {
  OciProcess p;
  EXPECT_EQ(BuildOciProcess(p, 0).status().code(), absl::StatusCode::kInvalidArgument);
  p.args = {"/bin/true"};
  p.cwd = "relative";
  EXPECT_EQ(BuildOciProcess(p, 0).status().code(), absl::StatusCode::kInvalidArgument);
  OciSpecInput in = Basic();
  in.rootfs = "rootfs";
  EXPECT_EQ(BuildOciSpec(in, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OciSpecTest, MaskedPathsCanBeDisabledAndTerminalSet) {
  OciSpecInput in = Basic();
  in.masked_paths = false;
  in.process.terminal = true;
  in.process.no_new_privileges = false;
  auto spec = BuildOciSpec(in, 0);
  ASSERT_TRUE(spec.ok());
  EXPECT_FALSE((*spec)["linux"].contains("maskedPaths"));
  EXPECT_FALSE((*spec)["linux"].contains("readonlyPaths"));
  EXPECT_EQ((*spec)["process"]["terminal"], true);
  EXPECT_EQ((*spec)["process"]["noNewPrivileges"], false);
}

TEST(OciSpecTest, ReadsOwnOomScoreAdj) {
  auto v = ReadOwnOomScoreAdj();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_GE(*v, -1000);
  EXPECT_LE(*v, 1000);
}

}  // namespace
}  // namespace silo::runtime::linux_backend

namespace silo::runtime::linux_backend {
namespace {

TEST(OciSpecConfigTest, ResourcesCarrySwapHugepagesAndUnified) {
  OciResources r;
  r.memory_limit_bytes = 64 << 20;
  r.memory_swap_bytes = 128 << 20;
  r.pids_limit = 50;
  r.hugepage_limits["2MB"] = 4 << 20;
  r.unified["memory.high"] = "1000";
  EXPECT_EQ(BuildOciResources(r), json::parse(R"({
    "memory":{"limit":67108864,"swap":134217728},
    "pids":{"limit":50},
    "hugepageLimits":[{"pageSize":"2MB","limit":4194304}],
    "unified":{"memory.high":"1000"}})"));
  EXPECT_EQ(BuildOciResources(OciResources()), json::object());
}

TEST(OciSpecConfigTest, PrivilegedSysctlsAndSeccompAreWritten) {
  OciSpecInput in;
  in.process.args = {"/bin/sh"};
  in.rootfs = "/r";
  in.privileged = true;
  in.masked_paths = false;
  in.devices = {{"/dev/fuse", 'c', 10, 229, 0666, 0, 0}};
  in.sysctls["net.core.somaxconn"] = "1024";
  in.seccomp = {{"defaultAction", "SCMP_ACT_ERRNO"}};
  auto spec = BuildOciSpec(in, 0);
  ASSERT_TRUE(spec.ok()) << spec.status();
  const json& l = (*spec)["linux"];
  EXPECT_EQ(l["resources"]["devices"], json::parse(R"([{"allow":true,"access":"rwm"}])"));
  EXPECT_EQ(l["devices"], json::parse(R"([{"path":"/dev/fuse","type":"c","major":10,"minor":229,
                                           "fileMode":438,"uid":0,"gid":0}])"));
  EXPECT_EQ(l["sysctl"], json::parse(R"({"net.core.somaxconn":"1024"})"));
  EXPECT_EQ(l["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_FALSE(l.contains("maskedPaths"));
  EXPECT_FALSE(l.contains("readonlyPaths"));
  for (const auto& m : (*spec)["mounts"]) {
    if (m["destination"] == "/sys") {
      EXPECT_THAT(m["options"].get<std::vector<std::string>>(), Contains("rw"));
    }
  }

  in.privileged = false;
  in.devices.clear();
  in.sysctls.clear();
  in.seccomp = nullptr;
  spec = BuildOciSpec(in, 0);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ((*spec)["linux"]["resources"]["devices"], json::parse(R"([{"allow":false,"access":"rwm"}])"));
  EXPECT_FALSE((*spec)["linux"].contains("devices"));
  EXPECT_FALSE((*spec)["linux"].contains("sysctl"));
  EXPECT_FALSE((*spec)["linux"].contains("seccomp"));
}

}  // namespace
}  // namespace silo::runtime::linux_backend

namespace silo::runtime::linux_backend {
namespace {

TEST(CapabilitiesTest, NamesFollowTheKernelsBitNumbers) {
  EXPECT_THAT(CapabilityNames(0), ::testing::IsEmpty());
  EXPECT_THAT(CapabilityNames((1u << 0) | (1u << 21) | (uint64_t{1} << 40)),
              ::testing::ElementsAre("CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE"));
  auto bounding = BoundingCapabilities();
  ASSERT_TRUE(bounding.ok()) << bounding.status();
  EXPECT_THAT(*bounding, ::testing::Contains("CAP_KILL"));  // tests run with a normal bounding set
}

}  // namespace
}  // namespace silo::runtime::linux_backend
