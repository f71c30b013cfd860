// silo-shim.exe's HostProcess mode against the real OS: a Windows
// executable (mingw-w64 has no GoogleTest), run under Wine in CI and natively
// on Windows. silod's ShimPort starts the shim, which creates the
// container's named kill-on-close job and runs this executable in it
// ("hostprocess_shim_win32_test.exe child ..."), logging its output; the
// port is then dropped and a new one made, as a restarted silod does, and
// the container runs on with its log continuing. Killing the shim itself
// ends the container (the job's last handle). LogonUserW and the bind filter
// are not exercised: Wine has neither. Exec sessions run over the real pipe.
#include <windows.h>
#include <tlhelp32.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "runtime/base/windows/wide.h"
#include "runtime/shim/core/protocol_codec.h"
#include "runtime/windows/host_process.h"
#include "runtime/windows/hostprocess/hostprocess_monitor.h"
#include "runtime/windows/shim/exit_record.h"
#include "runtime/windows/shim/session_frames.h"
#include "runtime/windows/shim/shim_port_win32.h"
#include "runtime/windows/testing/win_check.h"

namespace {

namespace hp = silo::runtime::windows::hostprocess;
namespace shim = silo::runtime::windows::shim;
namespace wire = silo::runtime::shim;
#define CHECK(cond) SILO_WIN_CHECK(cond)

std::wstring SelfPath() {
  wchar_t self[MAX_PATH];
  const DWORD n = GetModuleFileNameW(nullptr, self, MAX_PATH);
  return std::wstring(self, n);
}

std::wstring BesideThisTest(const wchar_t* exe) {
  std::wstring path = SelfPath();
  return path.substr(0, path.find_last_of(L"\\/") + 1) + exe;
}

std::string TempDir(const char* what) {
  wchar_t base[MAX_PATH];
  GetTempPathW(MAX_PATH, base);
  std::wstring dir = std::wstring(base) + L"silo-hpshim-" + silo::win32::Utf8ToWide(what) + L"-" +
                     std::to_wstring(GetCurrentProcessId());
  CreateDirectoryW(dir.c_str(), nullptr);
  return silo::win32::WideToUtf8(dir);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(silo::win32::Utf8ToWide(path).c_str(), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(silo::win32::Utf8ToWide(path).c_str(), std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

// A container whose main process is this executable, printing "tick N"
// lines until it is ended.
shim::ShimLaunch LaunchIn(const std::string& dir, const std::string& id) {
  hp::HostProcessLaunch launch;
  launch.id = id;
  launch.rootfs = dir + "\\rootfs";
  CreateDirectoryW(silo::win32::Utf8ToWide(launch.rootfs).c_str(), nullptr);
  launch.plan.job_name = silo::runtime::windows::HostProcessJobName(id);
  launch.plan.create_silo = false;
  launch.plan.mount_point = dir + "\\mnt";
  launch.plan.command_line = "\"" + silo::win32::WideToUtf8(SelfPath()) + "\" child tick";
  launch.plan.working_directory = dir;
  launch.plan.logon = silo::runtime::windows::LogonKind::kInherit;
  shim::ShimLaunch l;
  l.id = id;
  l.hostprocess_path = dir + "\\launch.json";
  l.log_path = dir + "\\c.log";
  l.exit_path = dir + "\\c.exit";
  l.diagnostics_path = dir + "\\shim.log";
  CHECK(WriteText(l.hostprocess_path, hp::EncodeHostProcessLaunch(launch)));
  return l;
}

wire::Response Call(shim::ShimPort& port, const std::string& id, wire::Request req) {
  auto r = port.Call(id, req, std::chrono::steady_clock::now() + std::chrono::seconds(20));
  CHECK(r.ok());
  if (!r.ok()) {
    std::printf("  %s: %s\n", wire::OpName(req.op), r.status().ToString().c_str());
    return wire::Response();
  }
  return *r;
}

wire::Response Call(shim::ShimPort& port, const std::string& id, wire::Op op, int signal = 0) {
  wire::Request req;
  req.op = op;
  req.signal = signal;
  return Call(port, id, req);
}

// The shim of launch `l`, its container started; null (and a failed check) otherwise.
std::shared_ptr<shim::ShimPort> StartedShim(const shim::ShimLaunch& l) {
  auto port = shim::NewWin32ShimPort(BesideThisTest(L"silo-shim.exe"));
  const silo::win32::HrStatus launched = port->Launch(l, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  CHECK(launched.ok());
  if (!launched.ok()) return nullptr;
  const wire::Response started = Call(*port, l.id, wire::Op::kStart);
  CHECK(started.code == 0);
  if (started.code != 0) return nullptr;
  return port;
}

bool WaitForLog(const std::string& path, const std::string& text) {
  for (int i = 0; i < 1000; ++i) {
    if (ReadText(path).find(text) != std::string::npos) return true;
    Sleep(10);
  }
  std::printf("  no \"%s\" in the log:\n%s\n", text.c_str(), ReadText(path).c_str());
  return false;
}

bool ShimGone(shim::ShimPort& port, const std::string& id) {
  wire::Request state;
  state.op = wire::Op::kState;
  for (int i = 0; i < 500; ++i) {
    auto r = port.Call(id, state, std::chrono::steady_clock::now() + std::chrono::seconds(2));
    if (!r.ok() && r.status().hr() == shim::kHrShimGone) return true;
    Sleep(10);
  }
  return false;
}

// The ticks in the CRI log, which must run 0, 1, 2, ... with none lost or repeated.
int CheckTicks(const std::string& log) {
  std::istringstream lines(log);
  std::string line;
  int next = 0;
  while (std::getline(lines, line)) {
    const size_t at = line.find(" stdout F tick ");
    if (at == std::string::npos) continue;
    const int n = std::atoi(line.c_str() + at + std::strlen(" stdout F tick "));
    if (n != next) std::printf("  tick %d where %d was due\n", n, next);
    CHECK(n == next);
    next = n + 1;
  }
  return next;
}

void TheContainerOutlivesItsShimPortAndItsLogContinues() {
  const std::string dir = TempDir("restart");
  const std::string id = "hpshim-restart-" + std::to_string(GetCurrentProcessId());
  shim::ShimLaunch l = LaunchIn(dir, id);
  auto port = shim::NewWin32ShimPort(BesideThisTest(L"silo-shim.exe"));
  const silo::win32::HrStatus launched = port->Launch(l, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  CHECK(launched.ok());
  if (!launched.ok()) {
    std::printf("  launch: %s\n  shim said: %s\n", launched.ToString().c_str(), ReadText(l.diagnostics_path).c_str());
    return;
  }
  CHECK(Call(*port, id, wire::Op::kState).state == "created");
  const wire::Response started = Call(*port, id, wire::Op::kStart);
  CHECK(started.code == 0);
  if (started.code != 0) std::printf("  start: %s\n", started.message.c_str());
  CHECK(WaitForLog(l.log_path, " stdout F tick 3\n"));
  // silod restarts: its port (and anything it held) goes, a new one comes.
  port.reset();
  port = shim::NewWin32ShimPort(BesideThisTest(L"silo-shim.exe"));
  const wire::Response running = Call(*port, id, wire::Op::kState);
  CHECK(running.state == "running" && running.pid != 0);
  const int before = CheckTicks(ReadText(l.log_path));
  CHECK(WaitForLog(l.log_path, " stdout F tick " + std::to_string(before + 5) + "\n"));
  wire::Request exec;
  exec.op = wire::Op::kExec;
  exec.args = {silo::win32::WideToUtf8(SelfPath()), "child", "exit"};
  exec.timeout_ms = 20000;
  const wire::Response ran = Call(*port, id, exec);
  CHECK(ran.code == 0 && ran.exited && ran.exit_code == 7);
  CHECK(ran.stdout_data.find("hello from the job") != std::string::npos);
  CHECK(Call(*port, id, wire::Op::kKill, 9).code == 0);
  wire::Request wait;
  wait.op = wire::Op::kWait;
  wait.timeout_ms = 20000;
  const wire::Response exited = Call(*port, id, wait);
  CHECK(exited.exited && exited.exit_code == 1 && exited.state == "stopped");
  auto record = shim::ReadExitRecord(l.exit_path);
  CHECK(record.ok() && record->exit_code == 1);
  CHECK(CheckTicks(ReadText(l.log_path)) > before + 5);
  CHECK(Call(*port, id, wire::Op::kShutdown).code == 0);
  CHECK(ShimGone(*port, id));
  // The links the shim made for the mount point are gone with it.
  CHECK(GetFileAttributesW(silo::win32::Utf8ToWide(dir + "\\mnt").c_str()) == INVALID_FILE_ATTRIBUTES);
}

DWORD ParentOf(DWORD pid) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  if (snap == INVALID_HANDLE_VALUE) return 0;
  PROCESSENTRY32W entry{};
  entry.dwSize = sizeof(entry);
  DWORD parent = 0;
  for (BOOL more = Process32FirstW(snap, &entry); more; more = Process32NextW(snap, &entry)) {
    if (entry.th32ProcessID == pid) parent = entry.th32ParentProcessID;
  }
  CloseHandle(snap);
  return parent;
}

void KillingTheShimEndsItsContainer() {
  const std::string dir = TempDir("kill");
  const std::string id = "hpshim-kill-" + std::to_string(GetCurrentProcessId());
  shim::ShimLaunch l = LaunchIn(dir, id);
  auto port = StartedShim(l);
  if (port == nullptr) return;
  const wire::Response running = Call(*port, id, wire::Op::kState);
  CHECK(running.pid != 0);
  HANDLE child = OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(running.pid));
  CHECK(child != nullptr);
  const DWORD shim_pid = ParentOf(static_cast<DWORD>(running.pid));
  HANDLE shim_process = OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, shim_pid);
  CHECK(shim_process != nullptr);
  if (child == nullptr || shim_process == nullptr) return;
  CHECK(TerminateProcess(shim_process, 9) != 0);
  CHECK(WaitForSingleObject(shim_process, 10000) == WAIT_OBJECT_0);
  // The job's last handle was the shim's: its process ends with it.
  CHECK(WaitForSingleObject(child, 10000) == WAIT_OBJECT_0);
  CloseHandle(shim_process);
  CloseHandle(child);
  CHECK(ShimGone(*port, id));
  CHECK(shim::ReadExitRecord(l.exit_path).status().hr() == shim::kHrFileNotFound);  // a dead shim records nothing
  RemoveDirectoryW(silo::win32::Utf8ToWide(dir + "\\mnt").c_str());  // the dead shim's link, silod's Remove removes it
}

// What a session brought back.
struct SessionResult {
  std::string out, err, failed;
  int64_t exit_code = -1;
};

// An exec session on the real shim's pipe: `stdin_data` then EOF in, the
// frames out until kExit.
SessionResult RunSession(shim::ShimPort& port, const std::string& id, const wire::Request& request,
                         const std::string& stdin_data) {
  SessionResult result;
  auto session = port.OpenSession(id, request, std::chrono::steady_clock::now() + std::chrono::seconds(20));
  CHECK(session.ok());
  if (!session.ok()) {
    std::printf("  open: %s\n", session.status().ToString().c_str());
    return result;
  }
  CHECK(session->response.code == 0 && session->conn != nullptr);
  if (session->response.code != 0 || session->conn == nullptr) {
    std::printf("  open: %s\n", session->response.message.c_str());
    return result;
  }
  shim::Duplex& conn = *session->conn;
  if (!stdin_data.empty()) CHECK(conn.Write(shim::EncodeSessionFrame(shim::SessionFrameType::kStdin, stdin_data)));
  CHECK(conn.Write(shim::EncodeSessionFrame(shim::SessionFrameType::kStdinEof, "")));
  while (std::optional<shim::SessionFrame> f = shim::ReadSessionFrame(conn)) {
    if (f->type == shim::SessionFrameType::kStdout) result.out += f->payload;
    if (f->type == shim::SessionFrameType::kStderr) result.err += f->payload;
    if (f->type == shim::SessionFrameType::kFailed) result.failed = f->payload;
    if (f->type == shim::SessionFrameType::kExit) shim::ParseExit(f->payload, &result.exit_code);
    if (f->type == shim::SessionFrameType::kExit || f->type == shim::SessionFrameType::kFailed) break;
  }
  return result;
}

// Streamed exec through silo-shim.exe over pipes: stdin in, stdout and
// stderr out, the exit code. (A TTY exec on Wine's ConPTY is not checked
// here: Wine 8 attaches the child to the pseudo console only about half the
// time and sometimes reports exit code 0; hostprocess_api_test checks the
// ConPTY calls themselves.)
void ExecSessionsRunInTheJobOverPipes() {
  const std::string dir = TempDir("session");
  const std::string id = "hpshim-session-" + std::to_string(GetCurrentProcessId());
  shim::ShimLaunch l = LaunchIn(dir, id);
  auto port = StartedShim(l);
  if (port == nullptr) return;

  wire::Request exec;
  exec.op = wire::Op::kExec;
  exec.stream = true;
  wire::SetRequestStdin(exec, true);
  exec.args = {silo::win32::WideToUtf8(SelfPath()), "child", "echo"};
  SessionResult piped = RunSession(*port, id, exec, "abc\n");
  if (piped.exit_code != 5 || piped.out != "got abc\r\n") {
    std::printf("  piped: %lld [%s] [%s] [%s]\n", static_cast<long long>(piped.exit_code), piped.out.c_str(),
                piped.err.c_str(), piped.failed.c_str());
  }
  CHECK(piped.exit_code == 5);
  CHECK(piped.out == "got abc\r\n");  // the child's C runtime writes text mode
  CHECK(piped.err == "echo done\r\n");

  CHECK(Call(*port, id, wire::Op::kShutdown).code == 0);
  CHECK(ShimGone(*port, id));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "child") == 0) {
    if (std::strcmp(argv[2], "exit") == 0) {
      std::printf("hello from the job\n");
      return 7;
    }
    if (std::strcmp(argv[2], "echo") == 0) {
      char line[256];
      while (std::fgets(line, sizeof(line), stdin) != nullptr) std::printf("got %s", line);
      std::fprintf(stderr, "echo done\n");
      return 5;
    }
    for (int i = 0;; ++i) {
      std::printf("tick %d\n", i);
      std::fflush(stdout);
      Sleep(20);
    }
  }
  const silo::windows_testing::WinTest tests[] = {
      {"TheContainerOutlivesItsShimPortAndItsLogContinues", TheContainerOutlivesItsShimPortAndItsLogContinues},
      {"KillingTheShimEndsItsContainer", KillingTheShimEndsItsContainer},
      {"ExecSessionsRunInTheJobOverPipes", ExecSessionsRunInTheJobOverPipes},
  };
  return silo::windows_testing::RunWinTests(tests);
}
