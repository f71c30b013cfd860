#include "runtime/linux/sysctls.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace silo::runtime::linux_backend {
namespace {

::runtime::v1::PodSandboxConfig Pod(std::map<std::string, std::string> sysctls) {
  ::runtime::v1::PodSandboxConfig pod;
  pod.mutable_linux()->mutable_sysctls()->insert(sysctls.begin(), sysctls.end());
  return pod;
}

TEST(SysctlsTest, AcceptsNamespacedSysctls) {
  auto out = ValidatedSysctls(Pod({{"net.ipv4.ip_unprivileged_port_start", "0"},
                                   {"net/core/somaxconn", "1024"},
                                   {"kernel.shm_rmid_forced", "1"},
                                   {"kernel.msgmax", "65536"},
                                   {"kernel.sem", "250 32000 32 128"},
                                   {"fs.mqueue.msg_max", "20"}}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), 6u);
  EXPECT_EQ(out->at("net.core.somaxconn"), "1024");  // slashes become dots
  EXPECT_EQ(out->at("kernel.sem"), "250 32000 32 128");
}

TEST(SysctlsTest, RefusesNodeWideSysctls) {
  for (const char* key : {"kernel.hostname", "vm.swappiness", "kernel.semx", "fs.file-max", "", "net..x"}) {
    auto out = ValidatedSysctls(Pod({{key, "1"}}));
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << key;
  }
}

TEST(SysctlsTest, NodeNamespacesRefuseTheirSysctls) {
  auto pod = Pod({{"net.core.somaxconn", "1024"}});
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(::runtime::v1::NODE);
  auto out = ValidatedSysctls(pod);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()), ::testing::HasSubstr("net.core.somaxconn"));
  pod = Pod({{"kernel.shmmax", "1"}});
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_ipc(::runtime::v1::NODE);
  EXPECT_EQ(ValidatedSysctls(pod).status().code(), absl::StatusCode::kInvalidArgument);
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_ipc(::runtime::v1::POD);
  EXPECT_TRUE(ValidatedSysctls(pod).ok());
}

}  // namespace
}  // namespace silo::runtime::linux_backend
