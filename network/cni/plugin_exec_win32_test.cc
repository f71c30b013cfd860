// The Windows PluginExec against real processes under Wine. The plugin is
// this executable itself, started with SILO_TEST_PLUGIN in its environment:
// "echo" prints its CNI_COMMAND and stdin, writes to stderr and exits 3;
// "spin" never ends. Check harness of runtime/windows/testing/win_check.h.
#include <windows.h>

#include <string>

#include "network/cni/plugin_exec.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using silo::network::cni::ExecRequest;
using silo::network::cni::NewPluginExec;
using silo::windows_testing::RunWinTests;
using silo::windows_testing::WinTest;
#define CHECK(cond) SILO_WIN_CHECK(cond)

std::string Self() {
  wchar_t path[MAX_PATH] = {};
  GetModuleFileNameW(nullptr, path, MAX_PATH);
  return silo::win32::WideToUtf8(path);
}

int ActAsPlugin(const std::string& mode) {
  if (mode == "spin") {
    Sleep(INFINITE);
    return 0;
  }
  std::string in;
  char buf[4096];
  DWORD n = 0;
  while (ReadFile(GetStdHandle(STD_INPUT_HANDLE), buf, sizeof(buf), &n, nullptr) && n > 0) in.append(buf, n);
  char command[64] = {};
  GetEnvironmentVariableA("CNI_COMMAND", command, sizeof(command));
  std::string out = std::string("cmd=") + command + " stdin=" + in;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), out.data(), static_cast<DWORD>(out.size()), &n, nullptr);
  WriteFile(GetStdHandle(STD_ERROR_HANDLE), "oops", 4, &n, nullptr);
  return 3;
}

void RunsWithEnvironmentStdinAndExitCode() {
  ExecRequest req;
  req.path = Self();
  req.env = {{"SILO_TEST_PLUGIN", "echo"}, {"CNI_COMMAND", "ADD"}};
  req.stdin_data = "{\"cniVersion\":\"1.0.0\"}";
  auto out = NewPluginExec()->Run(req);
  CHECK(out.ok());
  if (!out.ok()) return;
  CHECK(out->exit_code.has_value() && *out->exit_code == 3);
  CHECK(out->stdout_data == "cmd=ADD stdin={\"cniVersion\":\"1.0.0\"}");
  CHECK(out->stderr_data.find("oops") != std::string::npos);
}

void KillsAPluginPastItsDeadline() {
  ExecRequest req;
  req.path = Self();
  req.env = {{"SILO_TEST_PLUGIN", "spin"}};
  req.timeout = absl::Seconds(2);
  const ULONGLONG start = GetTickCount64();
  auto out = NewPluginExec()->Run(req);
  CHECK(absl::IsDeadlineExceeded(out.status()));
  CHECK(GetTickCount64() - start < 30000);
}

void AMissingBinaryIsNotFound() {
  ExecRequest req;
  req.path = "C:\\no\\such\\plugin.exe";
  CHECK(absl::IsNotFound(NewPluginExec()->Run(req).status()));
}

}  // namespace

int main() {
  char mode[16] = {};
  if (GetEnvironmentVariableA("SILO_TEST_PLUGIN", mode, sizeof(mode)) > 0) return ActAsPlugin(mode);
  static const WinTest tests[] = {
      {"RunsWithEnvironmentStdinAndExitCode", RunsWithEnvironmentStdinAndExitCode},
      {"KillsAPluginPastItsDeadline", KillsAPluginPastItsDeadline},
      {"AMissingBinaryIsNotFound", AMissingBinaryIsNotFound},
  };
  return RunWinTests(tests);
}
