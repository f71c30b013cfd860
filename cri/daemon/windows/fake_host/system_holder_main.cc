// A client of the fake host that only holds handles, for the fake host's
// own tests: it creates and starts "doomed" (the document sets
// ShouldTerminateOnLastHandleClosed) and "kept" (it does not), through the
// HCS wrapper silod uses, creates each named Job Object through the remote
// ProcessApi, prints "ready" and keeps every handle until it is killed.
//   fake_host_system_holder HOST_SOCKET [JOB_NAME...]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cri/daemon/windows/fake_host/host_client.h"
#include "cri/daemon/windows/fake_host/remote_hcs.h"
#include "cri/daemon/windows/fake_host/remote_processes.h"
#include "runtime/windows/hcs/compute_system.h"

int main(int argc, char** argv) {
  namespace fh = silo::cri::fake_host;
  namespace hcs = silo::runtime::windows::hcs;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s HOST_SOCKET [JOB_NAME...]\n", argv[0]);
    return 2;
  }
  std::string error;
  if (!fh::FakeHostClient::Connect(argv[1], &error)) {
    std::fprintf(stderr, "fake Windows host: %s\n", error.c_str());
    return 1;
  }
  std::vector<std::unique_ptr<hcs::ComputeSystem>> held;
  for (const auto& [id, terminate] : {std::pair{"doomed", true}, std::pair{"kept", false}}) {
    const std::string doc = std::string(R"({"Owner":"holder","SchemaVersion":{"Major":2,"Minor":1},)") +
                            R"("ShouldTerminateOnLastHandleClosed":)" + (terminate ? "true" : "false") +
                            R"(,"Container":{}})";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto system = hcs::ComputeSystem::Create(fh::RemoteHcsApi(), id, doc, deadline);
    if (!system.ok()) {
      std::fprintf(stderr, "create %s: %s\n", id, system.status().ToString().c_str());
      return 1;
    }
    silo::win32::HrStatus started = (*system)->Start(deadline);
    if (!started.ok()) {
      std::fprintf(stderr, "start %s: %s\n", id, started.ToString().c_str());
      return 1;
    }
    held.push_back(std::move(*system));
  }
  for (int i = 2; i < argc; ++i) {
    const std::string name = argv[i];
    const std::wstring wide(name.begin(), name.end());
    if (fh::RemoteProcessApi().create_job_object(wide.c_str(), nullptr) == nullptr) {
      std::fprintf(stderr, "create job %s: error %u\n", argv[i], fh::RemoteProcessApi().get_last_error());
      return 1;
    }
  }
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) pause();
}
