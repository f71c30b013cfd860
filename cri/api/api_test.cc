// Checks the compiled CRI descriptor against the facts kubelet and crictl rely on.
// <signal.h> first on purpose: cri.h must cope with its SIG* macros.
#include <signal.h>

#include <set>
#include <string>

#include "cri/api/cri.h"
#include "cri/api/rpcs.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace {

using google::protobuf::DescriptorPool;

TEST(CriApiTest, ServicesHaveAll41Rpcs) {
  auto* pool = DescriptorPool::generated_pool();
  auto* rt = pool->FindServiceByName("runtime.v1.RuntimeService");
  auto* img = pool->FindServiceByName("runtime.v1.ImageService");
  ASSERT_NE(rt, nullptr);
  ASSERT_NE(img, nullptr);
  EXPECT_EQ(rt->method_count(), 35);
  EXPECT_EQ(img->method_count(), 6);
  EXPECT_EQ(rt->method_count() + img->method_count(), 41);
}

TEST(CriApiTest, RpcListsMatchTheDescriptor) {
  std::set<std::string> listed;
#define SILO_ADD(name) listed.insert("runtime.v1.RuntimeService." #name);
  SILO_CRI_RUNTIME_UNARY_RPCS(SILO_ADD)
  SILO_CRI_RUNTIME_STREAM_RPCS(SILO_ADD)
#undef SILO_ADD
  listed.insert("runtime.v1.RuntimeService.GetContainerEvents");
#define SILO_ADD(name) listed.insert("runtime.v1.ImageService." #name);
  SILO_CRI_IMAGE_UNARY_RPCS(SILO_ADD)
  SILO_CRI_IMAGE_STREAM_RPCS(SILO_ADD)
#undef SILO_ADD
  std::set<std::string> actual;
  auto* pool = DescriptorPool::generated_pool();
  for (const char* svc : {"runtime.v1.RuntimeService", "runtime.v1.ImageService"}) {
    auto* s = pool->FindServiceByName(svc);
    for (int i = 0; i < s->method_count(); ++i) actual.insert(s->method(i)->full_name());
  }
  EXPECT_EQ(listed, actual);
}

// Spot checks of field numbers that kubelet depends on; a renumbering would
// break the wire silently.
TEST(CriApiTest, WireFieldNumbersMatchUpstream) {
  auto* pool = DescriptorPool::generated_pool();
  auto num = [&](const char* msg, const char* field) {
    auto* d = pool->FindMessageTypeByName(msg);
    EXPECT_NE(d, nullptr) << msg;
    auto* f = d ? d->FindFieldByName(field) : nullptr;
    EXPECT_NE(f, nullptr) << msg << "." << field;
    return f ? f->number() : -1;
  };
  EXPECT_EQ(num("runtime.v1.VersionResponse", "runtime_api_version"), 4);
  EXPECT_EQ(num("runtime.v1.StatusResponse", "features"), 4);
  EXPECT_EQ(num("runtime.v1.PodSandboxConfig", "windows"), 9);
  EXPECT_EQ(num("runtime.v1.ContainerConfig", "windows"), 16);
  EXPECT_EQ(num("runtime.v1.PullImageRequest", "sandbox_config"), 3);
  EXPECT_EQ(num("runtime.v1.AuthConfig", "registry_token"), 6);
  EXPECT_EQ(num("runtime.v1.LinuxContainerResources", "unified"), 9);
  EXPECT_EQ(num("runtime.v1.WindowsContainerResources", "rootfs_size_in_bytes"), 5);
}

TEST(CriApiTest, GeneratedAccessorNamedLinuxCompiles) {
  // With -std=gnu++20 the macro `linux` would turn this into `1()`.
  ::runtime::v1::RuntimeConfigResponse r;
  r.mutable_linux()->set_cgroup_driver(::runtime::v1::CGROUPFS);
  EXPECT_EQ(r.linux().cgroup_driver(), ::runtime::v1::CGROUPFS);
}

TEST(CriApiTest, SignalEnumSurvivesSignalHeader) {
  ::runtime::v1::Signal sig;
  ASSERT_TRUE(::runtime::v1::Signal_Parse("SIGKILL", &sig));
  EXPECT_EQ(::runtime::v1::Signal_Name(sig), "SIGKILL");
  EXPECT_EQ(SIGKILL, 9);  // the libc macro is back after cri.h
}

}  // namespace
