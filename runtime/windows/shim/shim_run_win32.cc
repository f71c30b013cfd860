#include "runtime/windows/shim/shim_run_win32.h"

#include <windows.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "runtime/base/windows/wide.h"
#include "runtime/windows/shim/container_monitor.h"
#include "runtime/windows/shim/monitor_requests.h"
#include "runtime/windows/shim/monitor_sessions.h"
#include "runtime/windows/shim/pipe_frames_win32.h"
#include "runtime/windows/shim/shim_files.h"
#include "runtime/windows/shim/shim_pipe_server_win32.h"

namespace {

namespace shim = silo::runtime::windows::shim;
namespace hcs = silo::runtime::windows::hcs;

int Usage(const char* why) {
  std::fprintf(stderr,
               "silo-shim: %s\nusage: silo-shim.exe --id ID --exit-file PATH --process FILE [--document FILE] "
               "[--log PATH] [--stdin] [--create-only]\n",
               why);
  return 2;
}

int Fail(const std::string& what, const silo::win32::HrStatus& status) {
  std::fprintf(stderr, "silo-shim: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

}  // namespace

namespace silo::runtime::windows::shim {

bool TakeShimArgValue(int argc, wchar_t** argv, int* i, std::string* out) {
  if (*i + 1 >= argc) return false;
  *out = silo::win32::WideToUtf8(argv[++*i]);
  return true;
}

int RunShim(int argc, wchar_t** argv, const std::function<win32::Result<const hcs::HcsApi*>()>& load_api,
            const hcs::StdioIo& io) {
  // No error dialogs on a headless node.
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  shim::MonitorOptions options;
  std::string document_file, process_file;
  bool create_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = silo::win32::WideToUtf8(argv[i]);
    auto value = [&](std::string* out) { return TakeShimArgValue(argc, argv, &i, out); };
    bool ok = true;
    if (arg == "--id") ok = value(&options.id);
    else if (arg == "--exit-file") ok = value(&options.exit_path);
    else if (arg == "--log") ok = value(&options.log_path);
    else if (arg == "--document") ok = value(&document_file);
    else if (arg == "--process") ok = value(&process_file);
    else if (arg == "--stdin") options.open_stdin = true;
    else if (arg == "--create-only") create_only = true;
    else return Usage(("unknown argument " + arg).c_str());
    if (!ok) return Usage((arg + " needs a value").c_str());
  }
  if (options.id.empty() || options.exit_path.empty() || process_file.empty()) {
    return Usage("--id, --exit-file and --process are required");
  }
  auto process = shim::ReadSmallFile(process_file);
  if (!process.ok()) return Fail("reading the process parameters", process.status());
  options.process_json = *process;
  if (!document_file.empty()) {
    auto document = shim::ReadSmallFile(document_file);
    if (!document.ok()) return Fail("reading the container document", document.status());
    options.document_json = *document;
  }
  auto api = load_api();
  if (!api.ok()) return Fail("loading computecore.dll", api.status());

  const auto soon = [] { return hcs::Clock::now() + std::chrono::minutes(4); };
  const std::string id = options.id;
  const bool created_here = !options.document_json.empty();
  auto monitor = shim::ContainerMonitor::Create(**api, io, std::move(options), soon());
  if (!monitor.ok()) return Fail("setting up container " + id, monitor.status());
  // Undo a system this process created, if serving it fails: terminated,
  // then its handle closed (with the monitor).
  auto abandon = [&](const std::string& what, const silo::win32::HrStatus& status) {
    if (created_here) (void)(*monitor)->TerminateSystem(soon());
    return Fail(what, status);
  };

  std::atomic<bool> shutdown_requested{false};
  HANDLE done = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (done == nullptr) return abandon("CreateEvent", silo::win32::HrStatus(0x80004005, "no event"));
  auto server = shim::ShimPipeServer::Start(
      shim::ShimPipeName(id),
      [&](const shim::Request& request) {
        shim::Response r = shim::ServeMonitorRequest(**monitor, request, &shutdown_requested);
        if (shutdown_requested) SetEvent(done);
        return r;
      },
      silo::win32::kSystemAndAdministratorsSddl,
      [&](const shim::Request& request) { return shim::StartMonitorSession(**monitor, request); });
  if (!server.ok()) return abandon("serving the shim pipe", server.status());
  if (!create_only) {
    silo::win32::HrStatus started = (*monitor)->Start(soon());
    if (!started.ok()) {
      (*server)->Stop();
      return abandon("starting container " + id, started);
    }
  }
  WaitForSingleObject(done, INFINITE);
  (*server)->Stop();
  CloseHandle(done);
  return 0;
}

}  // namespace silo::runtime::windows::shim
