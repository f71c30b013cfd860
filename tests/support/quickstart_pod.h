#pragma once
// A gtest fixture that brings up what the quick start (deploy/run.sh) brings
// up, with the same script: deploy/quickstart/setup.sh writes silod's config,
// the CNI bridge conflist and the crictl JSON inputs; a local registry on
// 127.0.0.1:5000 serves the busybox image; silod runs with that config.
// Everything lives in a private network namespace of the test process, so the
// fixed ports, the bridge and its iptables rules never touch the host.
// Not thread-safe; one fixture per test.

#include <memory>
#include <string>

#include "cri/api/cri_grpc.h"
#include "gtest/gtest.h"
#include "image/registry/testing/local_registry.h"
#include "tests/support/silod_process.h"

namespace silo::testing {

class QuickStartPodTest : public ::testing::Test {
 protected:
  static constexpr int kRegistryPort = 5000;
  static constexpr int kMetricsPort = 9464;  // the quick start config's metrics address

  void SetUp() override;
  void TearDown() override;

  // The quick start's pod.json and container.json, as crictl reads them.
  ::runtime::v1::PodSandboxConfig PodConfig();
  ::runtime::v1::ContainerConfig ContainerConfig();

  // Calls with a 60 s deadline; the test fails on error.
  void Pull(const std::string& image);
  std::string RunPod(const ::runtime::v1::PodSandboxConfig& pod);
  std::string CreateAndStart(const std::string& pod_id, const ::runtime::v1::PodSandboxConfig& pod,
                             const ::runtime::v1::ContainerConfig& config);
  ::runtime::v1::ExecSyncResponse Exec(const std::string& container_id, std::vector<std::string> cmd);
  void StopAndRemovePod(const std::string& pod_id);

  TempDir base_, scratch_;
  std::string subnet_;  // what setup.sh chose
  std::unique_ptr<image::registry::testing::LocalRegistry> registry_;
  std::unique_ptr<SilodProcess> silod_;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> rt_;
  std::unique_ptr<::runtime::v1::ImageService::Stub> img_;
};

}  // namespace silo::testing
