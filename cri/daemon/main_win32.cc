// silod.exe: the Silo CRI daemon (Windows entry point, built with -municode).
//   silod.exe [flags]                       console: Ctrl+C, Ctrl+Break, closing
//                                           the console or logoff/shutdown stop it
//   silod.exe --register-service [flags]    registers the "silo" service, which
//                                           runs silod.exe --run-service [flags]
//   silod.exe --unregister-service          stops and deletes it
//   silod.exe --run-service [flags]         the service's entry (started by SCM)
#include <windows.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cri/daemon/run.h"
#include "cri/daemon/windows/event_log_api_win32.h"
#include "cri/daemon/windows/event_log_critical_sink.h"
#include "cri/daemon/windows/event_log_sink.h"
#include "cri/daemon/windows/service_install_win32.h"
#include "cri/daemon/windows_service_win32.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/command_line.h"
#include "spdlog/spdlog.h"

namespace {

namespace service = silo::cri::windows_service;

// Set by console control events; manual reset, so a second event is harmless.
HANDLE g_stop_requested = nullptr;
// Set once the daemon has shut down, so the handler of a close, logoff or
// shutdown event (after which Windows ends the process) can wait for it.
HANDLE g_stopped = nullptr;

BOOL WINAPI OnConsoleControl(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
      SetEvent(g_stop_requested);
      return TRUE;
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      // The process ends when this returns: let the shutdown finish first
      // (Windows allows about 5 s for close and 20 s at system shutdown).
      SetEvent(g_stop_requested);
      WaitForSingleObject(g_stopped, 20000);
      return TRUE;
    default:
      return FALSE;
  }
}

std::wstring ModulePath() {
  std::wstring path(MAX_PATH, L'\0');
  while (true) {
    DWORD n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    if (n == 0) return L"";
    if (n < path.size()) {
      path.resize(n);
      return path;
    }
    path.resize(path.size() * 2);
  }
}

int Report(const char* what, const silo::win32::HrStatus& status) {
  if (status.ok()) {
    std::printf("silod: %s\n", what);
    return 0;
  }
  std::fprintf(stderr, "silod: %s failed: %s\n", what, status.ToString().c_str());
  return 1;
}

int RegisterService(const std::vector<std::string>& flags) {
  service::ServiceConfig config;
  config.binary_path = ModulePath();
  if (config.binary_path.empty()) {
    std::fprintf(stderr, "silod: cannot tell the path of silod.exe (Win32 error %lu)\n", GetLastError());
    return 1;
  }
  // The flags are stored with the service and given back to --run-service.
  std::string arguments;
  for (const std::string& flag : flags) {
    if (!arguments.empty()) arguments += ' ';
    arguments += silo::runtime::windows::QuoteArgument(flag);
  }
  config.arguments = silo::win32::Utf8ToWide(arguments);
  // The service and its Application event log source, together.
  return Report("service \"silo\" registered", silo::cri::windows::InstallSiloService(config));
}

// The service's life in the Application event log (source "silo", which
// --register-service installs): started, stopped, and fatal errors, also
// those logged at critical level while it runs. Without the log the service
// still runs; the rotating log file says why the entries are missing.
int RunAsService(const std::vector<std::string>& flags) {
  namespace win = silo::cri::windows;
  std::shared_ptr<win::EventLogSink> events;
  std::string events_unavailable;
  if (auto opened = win::EventLogSink::Open(win::Win32EventLogApi()); opened.ok()) {
    events = std::move(*opened);
  } else {
    events_unavailable = opened.status().ToString();
  }
  auto report = [&events](win::ServiceEvent event, const std::string& message) {
    if (events == nullptr) return;
    if (silo::win32::HrStatus s = events->Report(event, message); !s.ok()) {
      spdlog::warn("event log: {}", s.ToString());
    }
  };

  service::ServiceBody body;
  body.run = [&](const std::function<bool(DWORD)>& wait_for_stop, const std::function<void()>& serving) {
    silo::cri::RunHooks hooks;
    hooks.logging_ready = [&] {
      if (events != nullptr) {
        spdlog::default_logger()->sinks().push_back(std::make_shared<win::EventLogCriticalSink>(events));
      } else {
        spdlog::warn("the Application event log is unavailable ({}): service events are in this log only",
                     events_unavailable);
      }
    };
    hooks.serving = [&](const silo::cri::Config& config) {
      serving();
      report(win::ServiceEvent::kStarted, "silod started, serving " + config.listen);
    };
    hooks.fatal = [&](const std::string& message) {
      report(win::ServiceEvent::kFatalError, "silod could not start: " + message);
    };
    int code = silo::cri::RunSilod(
        flags,
        [&wait_for_stop] {
          while (!wait_for_stop(INFINITE)) {
          }
          spdlog::info("service stop requested, shutting down");
        },
        hooks);
    if (code == 0) report(win::ServiceEvent::kStopped, "silod stopped");
    return code;
  };
  silo::win32::HrStatus ran = service::RunService(L"silo", std::move(body));
  if (!ran.ok()) return Report("run as a service", ran);
  return 0;
}

int RunInConsole(const std::vector<std::string>& flags) {
  g_stop_requested = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  g_stopped = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (g_stop_requested == nullptr || g_stopped == nullptr || !SetConsoleCtrlHandler(OnConsoleControl, TRUE)) {
    std::fprintf(stderr, "silod: cannot handle console control events (Win32 error %lu)\n", GetLastError());
    return 1;
  }
  int code = silo::cri::RunSilod(flags, [] {
    WaitForSingleObject(g_stop_requested, INFINITE);
    spdlog::info("console control event received, shutting down");
  });
  SetEvent(g_stopped);
  return code;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.push_back(silo::win32::WideToUtf8(argv[i]));
  const std::string command = args.empty() ? "" : args.front();
  const std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
  if (command == "--register-service") return RegisterService(rest);
  if (command == "--unregister-service") {
    if (!rest.empty()) {
      std::fprintf(stderr, "silod: --unregister-service takes no arguments\n");
      return 2;
    }
    return Report("service \"silo\" unregistered", silo::cri::windows::UninstallSiloService(L"silo"));
  }
  if (command == "--run-service") return RunAsService(rest);
  if (command == "--help" || command == "-h") {
    int code = silo::cri::RunSilod(args, [] {});
    std::fputs("  silod --register-service [flags]   register the \"silo\" service (runs silod --run-service [flags])\n"
               "  silod --unregister-service         stop and delete it\n",
               stdout);
    return code;
  }
  return RunInConsole(args);
}
