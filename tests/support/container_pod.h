#pragma once
// A gtest fixture for tests that run containers through the real silod: a
// local registry holding the busybox image (busybox_image.h), silod, one
// host-network pod, and thin CRI call wrappers.
// Not thread-safe; one fixture per test.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cri/api/cri_grpc.h"
#include "gtest/gtest.h"
#include "image/registry/testing/local_registry.h"
#include "tests/support/busybox_image.h"
#include "tests/support/silod_process.h"

namespace silo::testing {

// Pulls `image` and runs a host-network pod logging into `log_dir`.
// Skips (root, runc, busybox) are the caller's business.
class ContainerPodTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // (Re)starts silod on the same directories (first start: fresh); tests
  // stop it themselves (silod_->Stop) to restart it.
  void StartSilod();

  ::runtime::v1::ContainerConfig Config(const std::string& name, std::vector<std::string> command);
  grpc::Status Create(const ::runtime::v1::ContainerConfig& config, std::string* id);
  grpc::Status Start(const std::string& id);
  grpc::Status Stop(const std::string& id, int64_t timeout);
  grpc::Status Remove(const std::string& id);
  grpc::Status StatusOf(const std::string& id, ::runtime::v1::ContainerStatus* status);
  ::runtime::v1::ContainerStatus Status(const std::string& id);  // EXPECTs success
  std::vector<::runtime::v1::Container> List();

  // Polls ContainerStatus until `state` (bounded by `timeout`).
  ::runtime::v1::ContainerStatus WaitState(const std::string& id, ::runtime::v1::ContainerState state,
                                           std::chrono::seconds timeout = std::chrono::seconds(20));

  TempDir layout_dir_, scratch_, silod_dir_, logs_;
  std::unique_ptr<image::registry::testing::LocalRegistry> registry_;
  std::unique_ptr<SilodProcess> silod_;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> rt_;
  std::string image_, pod_id_;
  std::string extra_yaml_;  // appended to silod's config at the next StartSilod
  ::runtime::v1::PodSandboxConfig pod_;
};

}  // namespace silo::testing
