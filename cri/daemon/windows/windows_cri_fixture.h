#pragma once
// What the Linux tests of the whole CRI service over the Windows handlers
// share, wherever silod runs (in the test process, or beside it on the
// fake host): the fake API tables and the in-process shims (simulated
// processes of the fake HCS), a real registry with Windows-layout images,
// a CNI plugin invoked as the Windows ones are, silod's config, CRI
// clients on its socket and the checks that nothing is left.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cri/api/cri_grpc.h"
#include "cri/daemon/config.h"
#include "cri/daemon/windows/wire_windows_parts.h"
#include "gtest/gtest.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "image/registry/testing/local_registry.h"
#include "network/hns/fake/fake_hcn.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/host_path/fake/fake_host_path_api.h"
#include "runtime/windows/hostprocess/fake/fake_process_api.h"
#include "runtime/windows/jobobject/fake/fake_job_api.h"
#include "runtime/windows/readiness/fake/fake_readiness_api.h"
#include "runtime/windows/shim/in_process_shim_port.h"

namespace silo::cri::wintest {

std::string ReadFile(const std::string& path);
// Polls `done` every 10 ms for up to 20 s.
bool Eventually(const std::function<bool()>& done);

class WindowsCriFixture : public ::testing::Test {
 protected:
  // Pushes the pause and app images (Windows layout) to a local registry.
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  static std::string Ref(const std::string& tag);

  // A temp dir with the CNI plugin and config; the fakes' host state.
  void SetUp() override;
  // The shims exit; the fakes saw no bad close. silod must be gone.
  void TearDown() override;

  // silod's config on dir_; with the HostProcess handler when asked.
  Config MakeConfig(bool host_process_handler) const;
  // The fake tables of this process and the node's description.
  WindowsHostApis LocalApis();
  // Job counters the test set (SetJobCounters), by job name.
  std::function<absl::StatusOr<runtime::stats::GroupCounters>(const std::string&)> JobReader();
  void SetJobCounters(const std::string& job, uint64_t cpu_ns, uint64_t working_set);
  // CRI clients on silod's socket.
  void ConnectCri();

  // The pids of the processes running in compute system `id` (the fake
  // numbers them 100, 104, ...).
  std::vector<uint32_t> RunningPids(const std::string& id);
  grpc::Status PullImage(const std::string& ref, std::string* id);
  ::runtime::v1::PodSandboxConfig PodConfig(const std::string& name, bool host_process);
  grpc::Status RunPod(const ::runtime::v1::PodSandboxConfig& config, std::string* id);
  grpc::Status CreateAndStart(const std::string& pod, const ::runtime::v1::PodSandboxConfig& pod_config,
                              const ::runtime::v1::ContainerConfig& config, std::string* id);
  ::runtime::v1::ContainerStatus Status(const std::string& id);
  ::runtime::v1::PodSandboxStatus PodStatus(const std::string& id);
  // ExecSync of `hostname` in container `ctr` (main process `main_pid`):
  // the second process the shim starts writes "web\r\n" and exits with 0,
  // which ExecSync answers.
  void ExpectExecSyncAnswers(const std::string& ctr, uint32_t main_pid);
  void StopAndRemovePod(const std::string& id);
  std::vector<std::string> CniCalls();
  // Nothing of a pod remains in the fakes or on disk.
  void ExpectNothingLeft(const std::vector<std::string>& systems);

  static image::registry::testing::LocalRegistry* registry_;
  static std::string* layout_dir_;
  std::string dir_;
  runtime::windows::fake::FakeHcs hcs_;
  network::hns::fake::FakeHcn hcn_;
  runtime::windows::jobobject::fake::FakeJobApi jobs_;
  image::layers::wcifs::FakeLayerApi layers_;
  runtime::windows::host_path::fake::FakeHostPathApi paths_;
  runtime::windows::hostprocess::fake::FakeProcessApi processes_;
  runtime::windows::readiness::fake::FakeReadinessApi readiness_;
  std::shared_ptr<runtime::windows::shim::InProcessShimPort> shims_;
  std::mutex jobs_mu_;
  std::map<std::string, runtime::stats::GroupCounters> job_counters_;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<::runtime::v1::ImageService::Stub> images_;
};

}  // namespace silo::cri::wintest
