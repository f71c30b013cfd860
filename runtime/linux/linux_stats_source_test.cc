#include "runtime/linux/linux_stats_source.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"
#include "runtime/base/testing/shell.h"
#include "runtime/linux/net_dev.h"
#include "runtime/stats/test_dir.h"

namespace silo::runtime::linux_backend {
namespace {

// Pins a fresh network namespace at `path` (as the sandbox host does under
// its netns dir) from a thread of its own.
bool PinNewNetns(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  ::close(fd);
  bool ok = false;
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) return;
    ok = ::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) == 0;
  });
  t.join();
  return ok;
}

TEST(ReadNetDevInTest, ReadsThePodNamespaceNotTheHost) {
  stats::testing::TempDir d;
  std::string ns = d.path() + "/netns";
  ASSERT_TRUE(PinNewNetns(ns));
  // No dummy driver on these kernels: a veth pair inside the namespace, and
  // a ping to an absent neighbour whose ARP requests cross the pair.
  auto sh = silo::testing::Sh("nsenter --net=" + ns + " sh -c 'ip link add sv0 type veth peer name sv1 && "
                              "ip link set sv0 up && ip link set sv1 up && ip addr add 10.231.0.1/24 dev sv0 && "
                              "ping -c 3 -i 0.2 -W 1 10.231.0.9; ip link show sv0 >/dev/null'");
  ASSERT_EQ(sh.exit_code, 0) << sh.output;

  auto text = ReadNetDevIn(ns);
  ASSERT_TRUE(text.ok()) << text.status();
  auto rows = ParseNetDev(*text);
  ASSERT_TRUE(rows.ok()) << rows.status();
  // Only the pair: loopback skipped, the host's links invisible.
  ASSERT_EQ(rows->size(), 2u) << *text;
  const InterfaceCounters* sv0 = nullptr;
  const InterfaceCounters* sv1 = nullptr;
  for (const auto& r : *rows) (r.name == "sv0" ? sv0 : sv1) = &r;
  ASSERT_NE(sv0, nullptr);
  ASSERT_NE(sv1, nullptr);
  EXPECT_EQ(sv1->name, "sv1");
  EXPECT_GE(sv0->tx_bytes, 42u);  // at least one ARP request left sv0
  EXPECT_GE(sv1->rx_bytes, 42u);  // and arrived at its peer

  ::umount2(ns.c_str(), MNT_DETACH);
}

TEST(ReadNetDevInTest, MissingNamespaceIsAnError) {
  stats::testing::TempDir d;
  EXPECT_TRUE(absl::IsNotFound(ReadNetDevIn(d.path() + "/none").status()));
  // A plain file is not a namespace: setns fails with EINVAL.
  d.Write("plain", "x");
  EXPECT_FALSE(ReadNetDevIn(d.path() + "/plain").ok());
}

TEST(DirectoryUsageTest, CountsBlocksAndInodesOnce) {
  stats::testing::TempDir d;
  d.Write("upper/a", std::string(10000, 'a'));
  d.Write("upper/sub/b", std::string(5000, 'b'));
  ASSERT_EQ(::link((d.path() + "/upper/a").c_str(), (d.path() + "/upper/sub/a2").c_str()), 0);

  auto u = DirectoryUsage(d.path() + "/upper");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->inodes_used, 4u);  // upper, sub, a (== a2), b
  uint64_t expected = 0;
  for (const char* rel : {"/upper", "/upper/sub", "/upper/a", "/upper/sub/b"}) {
    struct stat st;
    ASSERT_EQ(::stat((d.path() + rel).c_str(), &st), 0);
    expected += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  EXPECT_EQ(u->used_bytes, expected);  // the hard link a2 is not counted twice
  EXPECT_GE(u->used_bytes, 15000u);
  EXPECT_EQ(u->mountpoint, d.path() + "/upper");
  EXPECT_GT(u->timestamp_ns, 0);

  EXPECT_TRUE(absl::IsNotFound(DirectoryUsage(d.path() + "/none").status()));
}

TEST(LinuxStatsSourceTest, ContainerGroupIsUnderThePodCgroup) {
  LinuxStatsSource source(CgroupCounters("/sys/fs/cgroup", linux_backend::CgroupMode::kV1), "/var/lib/x");
  model::SandboxRecord sandbox;
  sandbox.cgroup_path = "/silo/pod1";
  EXPECT_EQ(source.ContainerGroup(sandbox, "c1"), "/silo/pod1/c1");
  sandbox.cgroup_path = "";
  EXPECT_EQ(source.ContainerGroup(sandbox, "c1"), "");
}

}  // namespace
}  // namespace silo::runtime::linux_backend
