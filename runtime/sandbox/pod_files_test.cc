#include "runtime/sandbox/pod_files.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::sandbox {
namespace {

TEST(PodFilesTest, HostsHasLocalhostAndThePodEntry) {
  std::string hosts = HostsFile("web-0", "10.88.1.7");
  EXPECT_NE(hosts.find("127.0.0.1\tlocalhost\n"), std::string::npos);
  EXPECT_NE(hosts.find("10.88.1.7\tweb-0\n"), std::string::npos);
  EXPECT_EQ(HostsFile("web-0", "").find("web-0"), std::string::npos);
}

TEST(PodFilesTest, ResolvConfFromDnsConfig) {
  ::runtime::v1::DNSConfig dns;
  dns.add_servers("10.96.0.10");
  dns.add_servers("10.96.0.11");
  dns.add_searches("default.svc.cluster.local");
  dns.add_searches("svc.cluster.local");
  dns.add_options("ndots:5");
  EXPECT_EQ(ResolvConf(dns),
            "nameserver 10.96.0.10\nnameserver 10.96.0.11\n"
            "search default.svc.cluster.local svc.cluster.local\noptions ndots:5\n");
  EXPECT_EQ(ResolvConf(::runtime::v1::DNSConfig()), "");
}

TEST(PodFilesTest, WritesThreeFilesAndFallsBackToTheHostResolvConf) {
  char tmpl[] = "/tmp/silo-podfiles-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ASSERT_TRUE(AtomicWriteFile(dir + "/host-resolv", "nameserver 192.0.2.1\n").ok());
  ASSERT_TRUE(WritePodFiles(dir + "/pod", "p1", "10.0.0.2", {}, dir + "/host-resolv").ok());
  EXPECT_EQ(*ReadFile(dir + "/pod/hostname"), "p1\n");
  EXPECT_EQ(*ReadFile(dir + "/pod/resolv.conf"), "nameserver 192.0.2.1\n");
  EXPECT_NE(ReadFile(dir + "/pod/hosts")->find("10.0.0.2\tp1"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(PodFilesTest, APodWithTheNodesNameGetsACopyOfTheNodesHosts) {
  char tmpl[] = "/tmp/silo-podfiles-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ASSERT_TRUE(AtomicWriteFile(dir + "/node-hosts", "127.0.0.1 localhost\n192.0.2.9 node-a\n").ok());
  ASSERT_TRUE(WritePodFiles(dir + "/pod", "node-a", "10.0.0.2", {}, dir + "/none", dir + "/node-hosts").ok());
  EXPECT_EQ(*ReadFile(dir + "/pod/hosts"), "127.0.0.1 localhost\n192.0.2.9 node-a\n");
  EXPECT_EQ(*ReadFile(dir + "/pod/hostname"), "node-a\n");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace silo::runtime::sandbox
