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
#include <utility>
#include <vector>

#include "cri/api/cri_grpc.h"
#include "cri/daemon/config.h"
#include "cri/daemon/daemon.h"
#include "cri/daemon/windows/wire_windows_parts.h"
#include "gtest/gtest.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "image/registry/testing/served_images.h"
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

// The images a suite serves: pause, app and tool (Windows layout) over one
// base layer.
struct SuiteImages {
  // The base carries the utility VM Hyper-V isolated pods boot from.
  bool utility_vm = false;
};

class WindowsCriFixture : public ::testing::Test {
 protected:
  // Serves SuiteImages{} from a local registry; a suite wanting others
  // defines its own SetUpTestSuite calling ServeImages.
  static void SetUpTestSuite() { ServeImages(SuiteImages{}); }
  static void ServeImages(const SuiteImages& images);
  static void TearDownTestSuite();
  static std::string Ref(const std::string& tag);

  // A temp dir with the CNI plugin and config; the fakes' host state.
  void SetUp() override;
  // The shims exit; the fakes saw no bad close. silod must be gone
  // (StopDaemonInProcess does it for one started here).
  void TearDown() override;

  // silod's config on dir_: the process-isolated default handler, then
  // `extra_handlers` in order.
  Config MakeConfig(std::vector<RuntimeHandlerConfig> extra_handlers = {}) const;
  // HostProcess pods need a handler of their type configured.
  static RuntimeHandlerConfig HostProcessHandler();
  // The fake tables of this process and the node's description.
  WindowsHostApis LocalApis();
  // Job counters the test set (SetJobCounters), by job name.
  std::function<absl::StatusOr<runtime::stats::GroupCounters>(const std::string&)> JobReader();
  void SetJobCounters(const std::string& job, uint64_t cpu_ns, uint64_t working_set);
  // CRI clients on silod's socket.
  void ConnectCri();
  // silod in this process over LocalApis(), and connected to; a second
  // start is a restart over the same host (the fakes, shims and folders).
  void StartDaemonInProcess(const Config& config);
  void StopDaemonInProcess();

  // The pids of the processes running in compute system `id` (the fake
  // numbers them 100, 104, ...).
  std::vector<uint32_t> RunningPids(const std::string& id);
  grpc::Status PullImage(const std::string& ref, std::string* id);
  ::runtime::v1::PodSandboxConfig PodConfig(const std::string& name, bool host_process);
  grpc::Status RunPod(const ::runtime::v1::PodSandboxConfig& config, std::string* id,
                      const std::string& handler = "");
  // A container of image `tag` named `name`, logging to <name>/0.log.
  static ::runtime::v1::ContainerConfig ContainerOf(const std::string& name, const std::string& tag);
  grpc::Status CreateAndStart(const std::string& pod, const ::runtime::v1::PodSandboxConfig& pod_config,
                              const ::runtime::v1::ContainerConfig& config, std::string* id);
  ::runtime::v1::ContainerStatus Status(const std::string& id);
  ::runtime::v1::PodSandboxStatus PodStatus(const std::string& id);
  // ExecSync of `cmd` in `ctr` (20 s timeout), expected to succeed.
  ::runtime::v1::ExecSyncResponse ExecSync(const std::string& ctr, const std::string& cmd);
  // ExecSync of `hostname` in container `ctr` (main process `main_pid`):
  // the second process the shim starts writes `output` and exits with 0,
  // which ExecSync answers.
  void ExpectExecSyncAnswers(const std::string& ctr, uint32_t main_pid, const std::string& output = "web\r\n");
  // The streaming server's port and path in a CRI streaming URL.
  static std::pair<uint16_t, std::string> StreamingPortAndPath(const std::string& url);
  // The port and path of an Exec of `cmd` in `ctr` with stdin and stdout,
  // and stderr unless `tty`.
  std::pair<uint16_t, std::string> ExecUrl(const std::string& ctr, const std::vector<std::string>& cmd, bool tty);
  grpc::Status StopPod(const std::string& id);
  grpc::Status RemovePod(const std::string& id);
  void StopAndRemovePod(const std::string& id);
  // The CNI plugin's calls, each "<file name> <command> <netns> <container id>".
  std::vector<std::string> CniCalls();
  // Nothing of a pod remains in the fakes or on disk: systems, namespaces,
  // jobs, layers, HostProcess processes, links and temporary users.
  void ExpectNothingLeft(const std::vector<std::string>& systems);

  static image::registry::testing::ServedImages* served_;
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
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace silo::cri::wintest
