#include "runtime/windows/hostprocess/hostprocess_shim_run_win32.h"

#include <windows.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "runtime/base/windows/wide.h"
#include "runtime/windows/hostprocess/hostprocess_monitor.h"
#include "runtime/windows/hostprocess/hostprocess_monitor_requests.h"
#include "runtime/windows/hostprocess/hostprocess_sessions.h"
#include "runtime/windows/shim/pipe_frames_win32.h"
#include "runtime/windows/shim/shim_files.h"
#include "runtime/windows/shim/shim_pipe_server_win32.h"
#include "runtime/windows/shim/shim_run_win32.h"

namespace silo::runtime::windows::hostprocess {
namespace {

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "silo-shim: %s\nusage: silo-shim.exe --id ID --exit-file PATH --hostprocess FILE [--log PATH] "
               "[--create-only]\n",
               why.c_str());
  return 2;
}

int Fail(const std::string& what, const std::string& why) {
  std::fprintf(stderr, "silo-shim: %s: %s\n", what.c_str(), why.c_str());
  return 1;
}

}  // namespace

bool WantsHostProcessShim(int argc, wchar_t** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::wstring(argv[i]) == L"--hostprocess") return true;
  }
  return false;
}

int RunHostProcessShim(int argc, wchar_t** argv, const ProcessApi& api) {
  // No error dialogs on a headless node.
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  std::string id, launch_file;
  HostProcessMonitorOptions options;
  bool create_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = silo::win32::WideToUtf8(argv[i]);
    auto value = [&](std::string* out) { return shim::TakeShimArgValue(argc, argv, &i, out); };
    bool ok = true;
    if (arg == "--id") ok = value(&id);
    else if (arg == "--exit-file") ok = value(&options.exit_path);
    else if (arg == "--log") ok = value(&options.log_path);
    else if (arg == "--hostprocess") ok = value(&launch_file);
    else if (arg == "--create-only") create_only = true;
    else return Usage("unknown argument " + arg);
    if (!ok) return Usage(arg + " needs a value");
  }
  if (id.empty() || options.exit_path.empty() || launch_file.empty()) {
    return Usage("--id, --exit-file and --hostprocess are required");
  }
  auto text = shim::ReadSmallFile(launch_file);
  if (!text.ok()) return Fail("reading the HostProcess launch", text.status().ToString());
  absl::StatusOr<HostProcessLaunch> launch = DecodeHostProcessLaunch(*text);
  if (!launch.ok()) return Fail("reading the HostProcess launch", launch.status().ToString());
  if (launch->id != id) return Fail("reading the HostProcess launch", "it describes container " + launch->id);
  options.launch = *std::move(launch);

  auto monitor = HostProcessMonitor::Create(api, std::move(options));
  if (!monitor.ok()) return Fail("setting up HostProcess container " + id, monitor.status().ToString());
  // Serving fails: the container is undone (Shutdown) before this process
  // exits, and its job closes with it.
  auto abandon = [&](const std::string& what, const std::string& why) {
    (void)(*monitor)->Shutdown();
    return Fail(what, why);
  };
  std::atomic<bool> shutdown_requested{false};
  HANDLE done = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (done == nullptr) return abandon("CreateEvent", "no event");
  auto server = shim::ShimPipeServer::Start(
      shim::ShimPipeName(id),
      [&](const runtime::shim::Request& request) {
        runtime::shim::Response r = ServeHostProcessRequest(**monitor, request, &shutdown_requested);
        if (shutdown_requested) SetEvent(done);
        return r;
      },
      silo::win32::kSystemAndAdministratorsSddl,
      [&](const runtime::shim::Request& request) { return StartHostProcessSession(**monitor, request); });
  if (!server.ok()) {
    CloseHandle(done);
    return abandon("serving the shim pipe", server.status().ToString());
  }
  if (!create_only) {
    absl::Status started = (*monitor)->Start();
    if (!started.ok()) {
      (*server)->Stop();
      CloseHandle(done);
      return abandon("starting HostProcess container " + id, started.ToString());
    }
  }
  WaitForSingleObject(done, INFINITE);
  (*server)->Stop();
  CloseHandle(done);
  return 0;
}

}  // namespace silo::runtime::windows::hostprocess
