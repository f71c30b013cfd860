#pragma once
// The world a reliability run acts in: the calling process moved into a
// private network namespace (the CNI bridge, veths and iptables rules never
// touch the machine), a CNI bridge network with host-local IPAM in the run's
// own directory, a local registry holding the busybox test image (also under
// a second name, for pull/remove churn), and one silod that is SIGKILLed and
// restarted on the same directories.
//
// Thread safety: the CRI call helpers may be used from several threads while
// silod runs. KillSilod/RestartSilod replace the channel: callers must make
// sure no other thread is inside a call helper then (see Gate).

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/api/cri_grpc.h"
#include "image/registry/testing/local_registry.h"
#include "tests/support/silod_process.h"

namespace silo::reliability {

// Whether this machine can run the drivers that use CNI: root, runc,
// /bin/busybox and the CNI plugins. Drivers print kNeedsRootRuncCni and exit
// 77 (skipped) when it cannot.
bool CanRunWithCni();
inline constexpr char kNeedsRootRuncCni[] = "SKIP: needs root, runc, /bin/busybox and /usr/lib/cni plugins\n";

struct EnvOptions {
  bool cni = true;               // false: host-network pods only, no private netns
  std::string root_mount = {};   // non-empty: tmpfs mount options for silod's root ("size=64m,mode=0700")
};

class Env {
 public:
  // Needs root, runc, busybox-static and the CNI plugins; call before any
  // thread starts (it unshares the network namespace).
  static absl::StatusOr<std::unique_ptr<Env>> Create(EnvOptions options);
  ~Env();

  absl::Status StartSilod();
  int KillSilod();  // SIGKILL; returns the exit status (137)
  int StopSilod();  // SIGTERM
  bool SilodAlive() const;
  testing::SilodProcess* silod() const { return silod_.get(); }

  // Paths.
  const std::string& dir() const { return dir_.path(); }
  std::string root() const { return dir_.path() + "/root"; }
  std::string state() const { return dir_.path() + "/state"; }
  std::string ipam_dir() const { return dir_.path() + "/ipam/" + kNetworkName; }
  std::string logs_dir() const { return logs_.path(); }
  const std::string& scratch() const { return scratch_.path(); }
  image::registry::testing::LocalRegistry* registry() const { return registry_.get(); }

  const std::string& image() const { return image_; }         // busybox, kept pulled
  const std::string& churn_image() const { return churn_; }  // same content, pulled and removed

  // Config builders. Pods use the CNI network unless `host_network`.
  ::runtime::v1::PodSandboxConfig Pod(const std::string& name, bool host_network = false) const;
  // A container printing "seq N" every `period` seconds, to <pod log dir>/<name>/0.log.
  ::runtime::v1::ContainerConfig Printer(const std::string& name, const std::string& period = "0.2") const;
  ::runtime::v1::ContainerConfig Command(const std::string& name, std::vector<std::string> argv) const;

  // CRI calls (deadline `timeout`). Statuses are gRPC's, as a client sees them.
  grpc::Status Version(std::chrono::seconds timeout = std::chrono::seconds(5));
  grpc::Status Pull(const std::string& image, std::chrono::seconds timeout = std::chrono::seconds(120));
  grpc::Status RemoveImage(const std::string& image);
  grpc::Status ImageStatus(const std::string& image, bool* present);
  grpc::Status RunPod(const ::runtime::v1::PodSandboxConfig& config, std::string* id);
  grpc::Status StopPod(const std::string& id);
  grpc::Status RemovePod(const std::string& id);
  grpc::Status PodStatus(const std::string& id, ::runtime::v1::PodSandboxStatusResponse* resp);
  grpc::Status ListPods(std::vector<::runtime::v1::PodSandbox>* out);
  grpc::Status CreateContainer(const std::string& pod_id, const ::runtime::v1::PodSandboxConfig& pod,
                               const ::runtime::v1::ContainerConfig& config, std::string* id);
  grpc::Status StartContainer(const std::string& id);
  grpc::Status StopContainer(const std::string& id, int64_t timeout);
  grpc::Status RemoveContainer(const std::string& id);
  grpc::Status ContainerStatus(const std::string& id, ::runtime::v1::ContainerStatus* out);
  grpc::Status ListContainers(std::vector<::runtime::v1::Container>* out);
  grpc::Status ExecSync(const std::string& id, std::vector<std::string> argv, ::runtime::v1::ExecSyncResponse* out);

  static constexpr char kNetworkName[] = "silo-reliability";

 private:
  Env() = default;
  absl::Status Setup(EnvOptions options);

  testing::TempDir dir_, logs_, scratch_;
  std::unique_ptr<image::registry::testing::LocalRegistry> registry_;
  std::unique_ptr<testing::SilodProcess> silod_;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> rt_;
  std::unique_ptr<::runtime::v1::ImageService::Stub> img_;
  std::string image_, churn_, root_mount_;
  bool cni_ = true;
};

// The pid of the live silo-shim serving container `id` for the silod whose
// state dir is `state`, or -1. Zombies count as dead.
pid_t ShimPid(const std::string& state, const std::string& id);
// Container ids of all live silo-shims of the silod whose state dir is `state`.
std::vector<std::string> ShimIds(const std::string& state);
bool ProcessDead(pid_t pid);
// Live pod PID-namespace inits ("silo-pod-init") forked by the silod whose
// root dir is `root`.
std::vector<pid_t> PodInitPids(const std::string& root);

// Runs `cmd` with /bin/sh and returns its stdout+stderr; `exit_code` gets the status.
std::string Capture(const std::string& cmd, int* exit_code = nullptr);

}  // namespace silo::reliability
