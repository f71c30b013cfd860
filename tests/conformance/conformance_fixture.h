#pragma once
// The fixture of the CRI conformance suite: the container fixture of the
// integration tests (a local registry with busybox, the real silod with its
// shims and runc, one host-network pod) plus what conformance tests need on
// top: pods of their own (with their own network, UTS and IPC namespaces
// when asked, through a loopback-only CNI network), containers in any pod,
// ExecSync, and the record of which config fields the test sent
// (exercised_fields.h). Everything a test creates is removed in TearDown,
// which also fails the test when a field it declared was never sent.
// Not thread-safe; one fixture per test (each test runs in its own process).

#include <set>
#include <string>
#include <vector>

#include "tests/conformance/exercised_fields.h"
#include "tests/support/container_pod.h"

namespace silo::testing::conformance {

struct ExecResult {
  grpc::Status status;
  int exit_code = -1;
  std::string out, err;
};

class ConformanceTest : public ContainerPodTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A pod config named after the fixture's pod plus `suffix`, with its own
  // network (loopback only), UTS and IPC namespaces and, as kubelet sends by
  // default, PID mode CONTAINER.
  ::runtime::v1::PodSandboxConfig PodConfig(const std::string& suffix);
  // RunPodSandbox, recording the sent fields; the pod is removed in TearDown.
  grpc::Status RunPod(const ::runtime::v1::PodSandboxConfig& config, std::string* id);
  grpc::Status StopPod(const std::string& id);
  grpc::Status RemovePod(const std::string& id);
  std::vector<::runtime::v1::PodSandbox> ListPods();

  // CreateContainer in pod `pod_id` (created from `pod`), recording the
  // sent fields. The overload without a pod uses the fixture's own pod.
  grpc::Status CreateIn(const std::string& pod_id, const ::runtime::v1::PodSandboxConfig& pod,
                        const ::runtime::v1::ContainerConfig& config, std::string* id);
  grpc::Status CreateRecorded(const ::runtime::v1::ContainerConfig& config, std::string* id);
  // Creates and starts; ADD_FAILUREs and returns "" when either fails.
  std::string RunIn(const std::string& pod_id, const ::runtime::v1::PodSandboxConfig& pod,
                    const ::runtime::v1::ContainerConfig& config);

  ExecResult Exec(const std::string& id, std::vector<std::string> cmd, int timeout_s = 20);
  // Exec of `sh -c script`, EXPECTing exit 0; returns stdout.
  std::string ShIn(const std::string& id, const std::string& script);

  // A long-running container command.
  static std::vector<std::string> Sleeper() { return {"/bin/busybox", "sleep", "3600"}; }

 private:
  std::vector<std::string> pods_;
  std::set<std::string> sent_fields_;
};

// This host's name (gethostname).
std::string NodeHostname();

}  // namespace silo::testing::conformance
