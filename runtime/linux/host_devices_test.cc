#include "runtime/linux/host_devices.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::linux_backend {
namespace {

TEST(HostDevicesTest, ListsCharAndBlockDevicesSkippingRuntimeMounts) {
  if (::geteuid() != 0) GTEST_SKIP() << "mknod needs root";
  char tmpl[] = "/tmp/silo-dev-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dev = tmpl;
  ASSERT_TRUE(MakeDirs(dev + "/pts").ok());
  ASSERT_TRUE(MakeDirs(dev + "/net").ok());
  ASSERT_EQ(::mknod((dev + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::chmod((dev + "/null").c_str(), 0666), 0);  // past the umask
  ASSERT_EQ(::mknod((dev + "/net/tun").c_str(), S_IFCHR | 0600, makedev(10, 200)), 0);
  ASSERT_EQ(::mknod((dev + "/loop9").c_str(), S_IFBLK | 0660, makedev(7, 9)), 0);
  ASSERT_EQ(::mknod((dev + "/pts/0").c_str(), S_IFCHR | 0620, makedev(136, 0)), 0);
  ASSERT_EQ(::mknod((dev + "/console").c_str(), S_IFCHR | 0600, makedev(5, 1)), 0);
  ASSERT_TRUE(AtomicWriteFile(dev + "/regular", "x").ok());
  ASSERT_EQ(::symlink("null", (dev + "/link").c_str()), 0);

  auto devices = ListHostDevices(dev);
  std::filesystem::remove_all(dev);
  ASSERT_TRUE(devices.ok()) << devices.status();
  std::map<std::string, OciDevice> by_path;
  for (const auto& d : *devices) by_path[d.path] = d;
  ASSERT_EQ(by_path.size(), 3u);
  EXPECT_EQ(by_path["/dev/null"].type, 'c');
  EXPECT_EQ(by_path["/dev/null"].major, 1);
  EXPECT_EQ(by_path["/dev/null"].minor, 3);
  EXPECT_EQ(by_path["/dev/null"].file_mode, 0666u);
  EXPECT_EQ(by_path["/dev/net/tun"].minor, 200);
  EXPECT_EQ(by_path["/dev/loop9"].type, 'b');
}

}  // namespace
}  // namespace silo::runtime::linux_backend
