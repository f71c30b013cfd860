// silod on a fake Windows host in another process: the CRI daemon wired by
// WireWindowsParts over the remote tables of the fake host the test serves,
// so that a test can SIGKILL it and start another on the same root while
// the host (the fakes, the shims) carries on.
//   silod_on_fake_windows_host HOST_SOCKET CONFIG_YAML
// Runs until killed; SIGTERM or SIGINT stop it cleanly.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>

#include "cri/daemon/config.h"
#include "cri/daemon/daemon.h"
#include "cri/daemon/windows/fake_host/fake_node.h"
#include "cri/daemon/windows/fake_host/host_client.h"
#include "cri/daemon/windows/fake_host/remote_hcn.h"
#include "cri/daemon/windows/fake_host/remote_hcs.h"
#include "cri/daemon/windows/fake_host/remote_host_paths.h"
#include "cri/daemon/windows/fake_host/remote_jobs.h"
#include "cri/daemon/windows/fake_host/remote_layers.h"
#include "cri/daemon/windows/fake_host/remote_processes.h"
#include "cri/daemon/windows/fake_host/remote_read_job.h"
#include "cri/daemon/windows/fake_host/remote_readiness.h"
#include "cri/daemon/windows/fake_host/remote_shim_port.h"
#include "cri/daemon/windows/wire_windows_parts.h"

int main(int argc, char** argv) {
  namespace fh = silo::cri::fake_host;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s HOST_SOCKET CONFIG_YAML\n", argv[0]);
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::string error;
  if (!fh::FakeHostClient::Connect(argv[1], &error)) {
    std::fprintf(stderr, "fake Windows host: %s\n", error.c_str());
    return 1;
  }
  absl::StatusOr<silo::cri::Config> config = silo::cri::LoadConfigFile(argv[2]);
  if (!config.ok()) {
    std::fprintf(stderr, "config: %s\n", config.status().ToString().c_str());
    return 1;
  }

  silo::cri::WindowsHostApis apis;
  apis.hcs = &fh::RemoteHcsApi();
  apis.hcn = &fh::RemoteHcnApi();
  apis.layers = &fh::RemoteLayerApi();
  apis.host_paths = &fh::RemoteHostPathApi();
  apis.jobs = &fh::RemoteJobApi();
  apis.processes = &fh::RemoteProcessApi();
  apis.readiness = &fh::RemoteReadinessApi();
  apis.shims = std::make_shared<fh::RemoteShimPort>();
  apis.read_job = fh::RemoteReadJob();
  fh::DescribeFakeNode(apis);

  auto daemon = silo::cri::Daemon::Start(
      *config, [&apis](const silo::cri::Config& c) { return silo::cri::WireWindowsParts(c, apis); });
  if (!daemon.ok()) {
    std::fprintf(stderr, "silod: %s\n", daemon.status().ToString().c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  (*daemon)->Shutdown();
  daemon->reset();
  return 0;
}
