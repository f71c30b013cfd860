// silo-shim.exe's Windows tests: a Windows executable (no GoogleTest in
// mingw-w64), run under Wine in CI. HCS is the fake table linked in (Wine
// has no computecore.dll); files, pipes and the security descriptor are
// real Win32.
#include <windows.h>
#include <aclapi.h>
#include <psapi.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "runtime/base/windows/wide.h"
#include "runtime/shim/core/protocol_codec.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/shim/container_monitor.h"
#include "runtime/windows/shim/cri_log_file.h"
#include "runtime/windows/shim/exit_record.h"
#include "runtime/windows/shim/monitor_requests.h"
#include "runtime/windows/shim/monitor_sessions.h"
#include "runtime/windows/shim/pipe_frames_win32.h"
#include "runtime/windows/shim/shim_files.h"
#include "runtime/windows/shim/shim_pipe_client_win32.h"
#include "runtime/windows/shim/shim_pipe_server_win32.h"
#include "runtime/windows/shim/shim_port_win32.h"
#include "runtime/windows/testing/win_check.h"

namespace {

namespace shim = silo::runtime::windows::shim;
namespace wire = silo::runtime::shim;
using silo::runtime::windows::fake::FakeHcs;
#define CHECK(cond) SILO_WIN_CHECK(cond)

std::string TempDir() {
  wchar_t base[MAX_PATH];
  GetTempPathW(MAX_PATH, base);
  std::wstring dir = std::wstring(base) + L"silo-shim-" + std::to_wstring(GetCurrentProcessId()) + L"-" +
                     std::to_wstring(GetTickCount64());
  CreateDirectoryW(dir.c_str(), nullptr);
  return silo::win32::WideToUtf8(dir);
}

std::string Slurp(const std::string& path) {
  auto text = shim::ReadSmallFile(path);
  return text.ok() ? *text : std::string("<missing>");
}

struct timespec FixedClock() { return {1700000000, 120000000}; }

shim::Deadline Soon() { return silo::runtime::windows::hcs::Clock::now() + std::chrono::seconds(10); }

// kubelet renames the log while the monitor holds it open: possible only
// with FILE_SHARE_DELETE; ReopenLog then starts a fresh file at the path.
void LogFileIsSharedForRotationAndReopens() {
  const std::string dir = TempDir();
  const std::string path = dir + "\\c.log";
  auto log = shim::CriLogFile::Open(path, FixedClock);
  CHECK(log.ok());
  if (!log.ok()) return;
  CHECK((*log)->Write(shim::LogStream::kStdout, false, "first").ok());
  CHECK((*log)->Write(shim::LogStream::kStderr, true, "half").ok());
  CHECK(Slurp(path) == "2023-11-14T22:13:20.12Z stdout F first\n2023-11-14T22:13:20.12Z stderr P half\n");
  const std::wstring wpath = silo::win32::Utf8ToWide(path);
  CHECK(MoveFileExW(wpath.c_str(), (wpath + L".1").c_str(), 0));
  // Still open on the renamed file: writes land there until reopen.
  CHECK((*log)->Write(shim::LogStream::kStdout, false, "second").ok());
  CHECK((*log)->Reopen().ok());
  CHECK((*log)->Write(shim::LogStream::kStdout, false, "third").ok());
  CHECK(Slurp(path + ".1").find("stdout F second\n") != std::string::npos);
  CHECK(Slurp(path) == "2023-11-14T22:13:20.12Z stdout F third\n");
  // Another reader and writer may hold the file meanwhile.
  HANDLE reader = CreateFileW(wpath.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                              nullptr, OPEN_EXISTING, 0, nullptr);
  CHECK(reader != INVALID_HANDLE_VALUE);
  CHECK((*log)->Write(shim::LogStream::kStdout, false, "fourth").ok());
  if (reader != INVALID_HANDLE_VALUE) CloseHandle(reader);
}

void ExitRecordIsReplacedAtomically() {
  const std::string path = TempDir() + "\\c.exit";
  CHECK(shim::ReadExitRecord(path).status().hr() == shim::kHrFileNotFound);
  CHECK(shim::WriteExitRecord(path, {3, 1700000000000000001}).ok());
  CHECK(shim::WriteExitRecord(path, {137, 42}).ok());
  auto r = shim::ReadExitRecord(path);
  CHECK(r.ok() && r->exit_code == 137 && r->exited_at_unix_nanos == 42);
  CHECK(GetFileAttributesW(silo::win32::Utf8ToWide(path + ".tmp").c_str()) == INVALID_FILE_ATTRIBUTES);
}

// Requests and responses, oversized frames and the pipe's DACL.
void FramedProtocolOverTheNamedPipe() {
  const std::wstring name = shim::ShimPipeName("proto-" + std::to_string(GetCurrentProcessId()));
  std::atomic<int> served{0};
  auto server = shim::ShimPipeServer::Start(name, [&](const wire::Request& req) {
    ++served;
    wire::Response r;
    r.state = wire::OpName(req.op);
    r.stdout_data = std::string("\0\xff binary", 9);
    return r;
  });
  CHECK(server.ok());
  if (!server.ok()) return;
  // A second server cannot claim the same name (FILE_FLAG_FIRST_PIPE_INSTANCE).
  auto squatter = shim::ShimPipeServer::Start(name, [](const wire::Request&) { return wire::Response(); });
  if (silo::windows_testing::UnderWine() && squatter.ok()) {
    std::printf("  SKIPPED: Wine does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE\n");
    (*squatter)->Stop();
  } else {
    CHECK(!squatter.ok());
  }

  shim::ShimPipeClient client(name);
  wire::Request req;
  req.op = wire::Op::kReopenLog;
  auto r = client.Call(req, Soon());
  CHECK(r.ok());
  if (r.ok()) {
    CHECK(r->code == 0 && r->state == "reopen_log");
    CHECK(r->stdout_data == std::string("\0\xff binary", 9));
    CHECK(r->version == wire::kProtocolVersion);
  }
  // Several calls on one connection, in order, then a bad request.
  HANDLE raw = CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                           FILE_FLAG_OVERLAPPED, nullptr);
  CHECK(raw != INVALID_HANDLE_VALUE);
  for (const char* op : {"state", "kill"}) {
    std::string body = std::string(R"({"op":")") + op + (std::string(op) == "kill" ? R"(","signal":9})" : R"("})");
    CHECK(shim::WritePipeFrame(raw, body, wire::kMaxFrameSize).ok());
    auto frame = shim::ReadPipeFrame(raw, wire::kMaxResponseFrameSize);
    wire::Response resp;
    std::string error;
    CHECK(frame.ok() && wire::DecodeResponseJson(*frame, &resp, &error) && resp.state == op);
  }
  CHECK(shim::WritePipeFrame(raw, "{not json", wire::kMaxFrameSize).ok());
  auto bad = shim::ReadPipeFrame(raw, wire::kMaxResponseFrameSize);
  wire::Response bad_resp;
  std::string error;
  CHECK(bad.ok() && wire::DecodeResponseJson(*bad, &bad_resp, &error) &&
        bad_resp.code == wire::kCodeInvalidArgument);
  // An oversized prefix ends the connection before anything is allocated.
  const char huge[4] = {'\x7f', '\xff', '\xff', '\xff'};
  DWORD written = 0;
  OVERLAPPED ov = {};
  ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!WriteFile(raw, huge, 4, &written, &ov) && GetLastError() == ERROR_IO_PENDING) {
    GetOverlappedResult(raw, &ov, &written, TRUE);
  }
  CloseHandle(ov.hEvent);
  CHECK(shim::ReadPipeFrame(raw, wire::kMaxResponseFrameSize, 5000).status().hr() == shim::kHrPipeClosed);
  CloseHandle(raw);
  CHECK(served.load() == 3);

  // The DACL admits exactly SYSTEM and Administrators.
  HANDLE probe = CreateFileW(name.c_str(), READ_CONTROL, 0, nullptr, OPEN_EXISTING, 0, nullptr);
  CHECK(probe != INVALID_HANDLE_VALUE);
  if (probe != INVALID_HANDLE_VALUE) {
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR sd = nullptr;
    CHECK(GetSecurityInfo(probe, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl, nullptr,
                          &sd) == ERROR_SUCCESS);
    if (dacl != nullptr) {
      CHECK(dacl->AceCount == 2);
      BYTE system_sid[SECURITY_MAX_SID_SIZE], admins_sid[SECURITY_MAX_SID_SIZE];
      DWORD n1 = sizeof(system_sid), n2 = sizeof(admins_sid);
      CreateWellKnownSid(WinLocalSystemSid, nullptr, system_sid, &n1);
      CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, admins_sid, &n2);
      for (DWORD i = 0; i < dacl->AceCount; ++i) {
        ACCESS_ALLOWED_ACE* ace = nullptr;
        CHECK(GetAce(dacl, i, reinterpret_cast<void**>(&ace)));
        if (ace == nullptr) continue;
        PSID sid = &ace->SidStart;
        CHECK(ace->Header.AceType == ACCESS_ALLOWED_ACE_TYPE);
        CHECK(EqualSid(sid, system_sid) || EqualSid(sid, admins_sid));
      }
    }
    if (sd != nullptr) LocalFree(sd);
    CloseHandle(probe);
  }
  (*server)->Stop();
  // Gone: a call finds no monitor.
  CHECK(!client.Call(req, Soon()).ok());
}

// Working set and private bytes; under Wine the working set includes Wine's
// own mapped DLLs, so the same line printed at start is the baseline.
void PrintMemory(const char* when) {
  PROCESS_MEMORY_COUNTERS pmc = {};
  pmc.cb = sizeof(pmc);
  if (GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof(pmc))) {
    std::printf("  memory %s: working set %.1f MiB, private %.1f MiB\n", when, pmc.WorkingSetSize / 1048576.0,
                pmc.PagefileUsage / 1048576.0);
  }
}

// The monitor over its pipe, as silod drives it: start, exec with output,
// log, kill, wait, exit record, shutdown. Reports the process's memory.
void MonitorOverThePipeRunsExecAndRecordsTheExit() {
  FakeHcs fake;
  const std::string dir = TempDir();
  shim::MonitorOptions o;
  o.id = "c-" + std::to_string(GetCurrentProcessId());
  o.document_json = R"({"Owner":"silo","ShouldTerminateOnLastHandleClosed":true})";
  o.process_json = R"({"CommandLine":"cmd /c app.exe"})";
  o.log_path = dir + "\\c.log";
  o.exit_path = dir + "\\c.exit";
  auto monitor = shim::ContainerMonitor::Create(fake.api(), fake.stdio_io(), o, Soon());
  CHECK(monitor.ok());
  if (!monitor.ok()) return;
  std::atomic<bool> shutdown{false};
  auto server = shim::ShimPipeServer::Start(shim::ShimPipeName(o.id), [&](const wire::Request& req) {
    return shim::ServeMonitorRequest(**monitor, req, &shutdown);
  });
  CHECK(server.ok());
  if (!server.ok()) return;
  shim::ShimPipeClient client(shim::ShimPipeName(o.id));
  auto call = [&](wire::Request req) {
    auto r = client.Call(req, Soon());
    CHECK(r.ok());
    return r.ok() ? *r : wire::Response();
  };
  wire::Request start;
  start.op = wire::Op::kStart;
  CHECK(call(start).code == 0);
  wire::Request state;
  state.op = wire::Op::kState;
  const wire::Response running = call(state);
  CHECK(running.state == "running" && running.pid != 0);
  const uint32_t pid = static_cast<uint32_t>(running.pid);
  CHECK(fake.WriteProcessOutput(o.id, pid, false, "hello from the container\r\n"));

  std::thread exec_process([&] {
    for (int i = 0; i < 5000; ++i) {
      if (!fake.ProcessParameters(o.id, pid + 4).empty()) break;
      Sleep(1);
    }
    fake.WriteProcessOutput(o.id, pid + 4, false, "C:\\\r\n");
    fake.WriteProcessOutput(o.id, pid + 4, true, "note");
    fake.ExitProcess(o.id, pid + 4, 5);
  });
  wire::Request exec;
  exec.op = wire::Op::kExec;
  exec.args = {"cmd", "/c", "cd"};
  exec.process = R"({"CommandLine":"cmd /c cd"})";
  const wire::Response out = call(exec);
  exec_process.join();
  CHECK(out.code == 0 && out.exited && out.exit_code == 5);
  CHECK(out.stdout_data == "C:\\\r\n" && out.stderr_data == "note");

  PrintMemory("serving a running container after exec");

  wire::Request kill;
  kill.op = wire::Op::kKill;
  kill.signal = 9;
  CHECK(call(kill).code == 0);
  wire::Request wait;
  wait.op = wire::Op::kWait;
  const wire::Response exited = call(wait);
  CHECK(exited.state == "stopped" && exited.exited);
  auto record = shim::ReadExitRecord(o.exit_path);
  CHECK(record.ok() && record->exit_code == exited.exit_code);
  CHECK(Slurp(o.log_path).find(" stdout F hello from the container\n") != std::string::npos);
  wire::Request stop;
  stop.op = wire::Op::kShutdown;
  CHECK(call(stop).code == 0);
  CHECK(shutdown.load());
  (*server)->Stop();
  monitor->reset();
  fake.Drain();
  CHECK(!fake.SystemExists(o.id));
  CHECK(fake.open_system_handles() == 0 && fake.open_stdio_handles() == 0);
}


// Streamed exec and attach over the real pipe: the monitor relays the HCS
// process's stdio as session frames on the request's own connection.
void SessionsOverThePipeRelayExecAndAttach() {
  FakeHcs fake;
  const std::string dir = TempDir();
  shim::MonitorOptions o;
  o.id = "s-" + std::to_string(GetCurrentProcessId());
  o.document_json = R"({"Owner":"silo","ShouldTerminateOnLastHandleClosed":true})";
  o.process_json = R"({"CommandLine":"app.exe"})";
  o.open_stdin = true;
  o.log_path = dir + "\\c.log";
  o.exit_path = dir + "\\c.exit";
  auto monitor = shim::ContainerMonitor::Create(fake.api(), fake.stdio_io(), o, Soon());
  CHECK(monitor.ok());
  if (!monitor.ok()) return;
  CHECK((*monitor)->Start(Soon()).ok());
  const uint32_t main_pid = (*monitor)->Status().pid;
  std::atomic<bool> shutdown{false};
  auto server = shim::ShimPipeServer::Start(
      shim::ShimPipeName(o.id),
      [&](const wire::Request& req) { return shim::ServeMonitorRequest(**monitor, req, &shutdown); },
      silo::win32::kSystemAndAdministratorsSddl,
      [&](const wire::Request& req) { return shim::StartMonitorSession(**monitor, req); });
  CHECK(server.ok());
  if (!server.ok()) return;
  shim::ShimPipeClient client(shim::ShimPipeName(o.id));

  wire::Request exec;
  exec.op = wire::Op::kExec;
  exec.stream = true;
  wire::SetRequestStdin(exec, true);
  exec.args = {"cmd", "/c", "sort"};
  exec.process = R"({"CommandLine":"cmd /c sort"})";
  auto session = client.OpenSession(exec, Soon());
  if (!session.ok()) std::printf("  open exec session: %s\n", session.status().ToString().c_str());
  if (session.ok() && session->response.code != 0) std::printf("  exec: %s\n", session->response.message.c_str());
  CHECK(session.ok() && session->response.code == 0 && session->conn != nullptr);
  if (!session.ok() || session->conn == nullptr) return;
  const uint32_t pid = static_cast<uint32_t>(session->response.pid);
  shim::SessionWriter to_shim(*session->conn);
  CHECK(to_shim.Send(shim::SessionFrameType::kStdin, "b\r\na\r\n"));
  CHECK(to_shim.Send(shim::SessionFrameType::kStdinEof));
  for (int i = 0; i < 5000 && fake.ProcessStdin(o.id, pid) != "b\r\na\r\n"; ++i) Sleep(1);
  CHECK(fake.ProcessStdin(o.id, pid) == "b\r\na\r\n");
  CHECK(fake.WriteProcessOutput(o.id, pid, false, "a\r\nb\r\n"));
  CHECK(fake.WriteProcessOutput(o.id, pid, true, "sorted"));
  fake.ExitProcess(o.id, pid, 2);
  std::string out, err;
  int64_t code = -1;
  while (auto f = shim::ReadSessionFrame(*session->conn)) {
    if (f->type == shim::SessionFrameType::kStdout) out += f->payload;
    if (f->type == shim::SessionFrameType::kStderr) err += f->payload;
    if (f->type == shim::SessionFrameType::kExit) {
      CHECK(shim::ParseExit(f->payload, &code));
      break;
    }
  }
  CHECK(out == "a\r\nb\r\n" && err == "sorted" && code == 2);
  session->conn.reset();

  // Attach: input reaches the main process, its output comes back as well
  // as going to the log; closing the connection detaches.
  wire::Request attach;
  attach.op = wire::Op::kAttach;
  wire::SetRequestStdin(attach, true);
  auto attached = client.OpenSession(attach, Soon());
  CHECK(attached.ok() && attached->response.code == 0 && attached->conn != nullptr);
  if (!attached.ok() || attached->conn == nullptr) return;
  shim::SessionWriter attach_writer(*attached->conn);
  CHECK(attach_writer.Send(shim::SessionFrameType::kStdin, "hi\n"));
  for (int i = 0; i < 5000 && fake.ProcessStdin(o.id, main_pid) != "hi\n"; ++i) Sleep(1);
  CHECK(fake.ProcessStdin(o.id, main_pid) == "hi\n");
  CHECK(fake.WriteProcessOutput(o.id, main_pid, false, "hello\n"));
  auto f = shim::ReadSessionFrame(*attached->conn);
  CHECK(f.has_value() && f->type == shim::SessionFrameType::kStdout && f->payload == "hello\n");
  attached->conn.reset();
  wire::Request state;
  state.op = wire::Op::kState;
  auto running = client.Call(state, Soon());
  CHECK(running.ok() && running->state == "running");

  wire::Request stop;
  stop.op = wire::Op::kShutdown;
  CHECK(client.Call(stop, Soon()).ok());
  (*server)->Stop();
  monitor->reset();
  fake.Drain();
  CHECK(fake.open_system_handles() == 0 && fake.open_stdio_handles() == 0 && fake.open_process_handles() == 0);
}

// A monitor serves silod for the container's whole life, one connection per
// call: the threads of ended connections must not pile up.
void PipeServerJoinsTheThreadsOfEndedConnections() {
  const std::wstring name = shim::ShimPipeName("reap-" + std::to_string(GetCurrentProcessId()));
  auto server = shim::ShimPipeServer::Start(name, [](const wire::Request&) { return wire::Response(); });
  CHECK(server.ok());
  if (!server.ok()) return;
  shim::ShimPipeClient client(name);
  wire::Request req;
  req.op = wire::Op::kState;
  for (int i = 0; i < 40; ++i) CHECK(client.Call(req, Soon()).ok());
  // Joined as the next connections are accepted: at most the last one (its
  // thread may still be returning) and the one accepted after it remain.
  size_t left = (*server)->worker_threads();
  for (int i = 0; i < 200 && left > 2; ++i) {
    Sleep(5);
    CHECK(client.Call(req, Soon()).ok());
    left = (*server)->worker_threads();
  }
  std::printf("  connection threads left after 40+ calls: %zu\n", left);
  CHECK(left <= 2);
  (*server)->Stop();
  CHECK((*server)->worker_threads() == 0);
}

// The log and the exit record deeper than MAX_PATH (260): the shim opens
// them by extended-length path.
void ShimFilesTakePathsBeyondMaxPath() {
  std::string dir = TempDir();
  while (dir.size() < 300) {
    dir += "\\" + std::string(60, 'd');
    CHECK(CreateDirectoryW((L"\\\\?\\" + silo::win32::Utf8ToWide(dir)).c_str(), nullptr));
  }
  const std::string log_path = dir + "\\c.log";
  const std::string exit_path = dir + "\\c.exit";
  CHECK(log_path.size() > MAX_PATH);
  auto log = shim::CriLogFile::Open(log_path, FixedClock);
  CHECK(log.ok());
  if (log.ok()) {
    CHECK((*log)->Write(shim::LogStream::kStdout, false, "deep").ok());
    CHECK((*log)->Reopen().ok());
  }
  CHECK(Slurp(log_path) == "2023-11-14T22:13:20.12Z stdout F deep\n");
  CHECK(shim::WriteExitRecord(exit_path, {7, 9}).ok());
  auto record = shim::ReadExitRecord(exit_path);
  CHECK(record.ok() && record->exit_code == 7);
}

std::wstring BesideThisTest(const wchar_t* exe) {
  wchar_t self[MAX_PATH];
  const DWORD n = GetModuleFileNameW(nullptr, self, MAX_PATH);
  std::wstring path(self, n);
  return path.substr(0, path.find_last_of(L"\\/") + 1) + exe;
}

bool WriteText(const std::string& path, const std::string& text) {
  HANDLE h = CreateFileW(silo::win32::Utf8ToWide(path).c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, 0, nullptr);
  if (h == INVALID_HANDLE_VALUE) return false;
  DWORD done = 0;
  const bool ok = WriteFile(h, text.data(), static_cast<DWORD>(text.size()), &done, nullptr) && done == text.size();
  CloseHandle(h);
  return ok;
}

// The files silod writes before it launches a shim, in `dir`.
shim::ShimLaunch LaunchIn(const std::string& dir, const std::string& id_prefix) {
  shim::ShimLaunch l;
  l.id = id_prefix + std::to_string(GetCurrentProcessId());
  l.document_path = dir + "\\doc.json";
  l.process_path = dir + "\\process.json";
  l.exit_path = dir + "\\c.exit";
  CHECK(WriteText(l.document_path, R"({"Owner":"silo"})"));
  CHECK(WriteText(l.process_path, R"({"CommandLine":"cmd /c app.exe"})"));
  return l;
}

// silod's side for real: the ShimPort starts a shim process (silo-shim.exe's
// code over the fake HCS, as Wine has no computecore.dll), waits for its
// pipe and drives the container through it; after shutdown the shim exits.
void ShimPortLaunchesTheShimAndDrivesIt() {
  shim::ShimLaunch l = LaunchIn(TempDir(), "port-");
  l.log_path = l.exit_path + ".log";
  auto port = shim::NewWin32ShimPort(BesideThisTest(L"silo_shim_fake_hcs.exe"));
  const auto soon = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const silo::win32::HrStatus launched = port->Launch(l, soon);
  CHECK(launched.ok());
  if (!launched.ok()) {
    std::printf("  launch: %s\n", launched.ToString().c_str());
    return;
  }
  auto call = [&](wire::Op op, int signal = 0) {
    wire::Request req;
    req.op = op;
    req.signal = signal;
    auto r = port->Call(l.id, req, std::chrono::steady_clock::now() + std::chrono::seconds(10));
    CHECK(r.ok());
    if (!r.ok()) std::printf("  %s: %s\n", wire::OpName(op), r.status().ToString().c_str());
    return r.ok() ? *r : wire::Response();
  };
  CHECK(call(wire::Op::kState).state == "created");
  CHECK(call(wire::Op::kStart).code == 0);
  const wire::Response running = call(wire::Op::kState);
  CHECK(running.state == "running" && running.pid != 0);
  const wire::Response refused = call(wire::Op::kKill, 10);
  CHECK(refused.code == wire::kCodeInvalidArgument);
  CHECK(call(wire::Op::kKill, 9).code == 0);
  const wire::Response exited = call(wire::Op::kWait);
  CHECK(exited.exited && exited.state == "stopped");
  auto record = shim::ReadExitRecord(l.exit_path);
  CHECK(record.ok() && record->exit_code == exited.exit_code);
  CHECK(call(wire::Op::kShutdown).code == 0);
  // The shim exits once it has answered: its pipe goes with it.
  wire::Request state;
  state.op = wire::Op::kState;
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    auto r = port->Call(l.id, state, std::chrono::steady_clock::now() + std::chrono::seconds(2));
    gone = !r.ok() && r.status().hr() == shim::kHrShimGone;
    if (!gone) Sleep(10);
  }
  CHECK(gone);
}

// An exec without a timeout waits for its answer for ever, but reaching the
// shim stays bounded: a pipe whose only instance is taken answers busy, and
// the call gives up at the send deadline instead of waiting with it.
void AnUnboundedAnswerStillBoundsReachingTheShim() {
  const std::wstring name = shim::ShimPipeName("busy-" + std::to_string(GetCurrentProcessId()));
  HANDLE only = CreateNamedPipeW(name.c_str(), PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                                 PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1, 4096, 4096, 0, nullptr);
  CHECK(only != INVALID_HANDLE_VALUE);
  if (only == INVALID_HANDLE_VALUE) return;
  HANDLE taken = CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
  CHECK(taken != INVALID_HANDLE_VALUE);
  wire::Request exec;
  exec.op = wire::Op::kExec;
  const auto start = std::chrono::steady_clock::now();
  auto r = shim::ShimPipeClient(name).Call(exec, start + std::chrono::milliseconds(300),
                                           shim::ShimPipeClient::Deadline::max());
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(!r.ok());
  CHECK(!r.ok() && r.status().hr() == shim::kHrPipeTimeout);
  CHECK(took < std::chrono::seconds(10));
  if (taken != INVALID_HANDLE_VALUE) CloseHandle(taken);
  CloseHandle(only);
}

// A shim that cannot set its container up exits at once, and Launch says
// so instead of waiting out its deadline (Wine: no computecore.dll).
void ShimPortReportsAShimThatCannotSetUp() {
  if (!silo::windows_testing::UnderWine()) {
    std::printf("  SKIPPED: needs a host without computecore.dll\n");
    return;
  }
  shim::ShimLaunch l = LaunchIn(TempDir(), "nohcs-");
  l.diagnostics_path = l.exit_path + ".shim.log";
  auto port = shim::NewWin32ShimPort(BesideThisTest(L"silo-shim.exe"));
  const silo::win32::HrStatus launched =
      port->Launch(l, std::chrono::steady_clock::now() + std::chrono::seconds(60));
  CHECK(!launched.ok());
  CHECK(launched.message().find("exited with code 1") != std::string::npos);
  // The shim's own words (its stderr) are in the error and in the file.
  CHECK(launched.message().find("silo-shim: ") != std::string::npos);
  if (launched.message().find("silo-shim: ") == std::string::npos) std::printf("  got: %s\n", launched.message().c_str());
  // Nothing can be passed that would break its command line.
  l.id = "bad id";
  CHECK(!port->Launch(l, std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
}

}  // namespace

int main() {
  PrintMemory("at start");
  const silo::windows_testing::WinTest tests[] = {
      {"LogFileIsSharedForRotationAndReopens", LogFileIsSharedForRotationAndReopens},
      {"ExitRecordIsReplacedAtomically", ExitRecordIsReplacedAtomically},
      {"FramedProtocolOverTheNamedPipe", FramedProtocolOverTheNamedPipe},
      {"MonitorOverThePipeRunsExecAndRecordsTheExit", MonitorOverThePipeRunsExecAndRecordsTheExit},
      {"SessionsOverThePipeRelayExecAndAttach", SessionsOverThePipeRelayExecAndAttach},
      {"PipeServerJoinsTheThreadsOfEndedConnections", PipeServerJoinsTheThreadsOfEndedConnections},
      {"ShimFilesTakePathsBeyondMaxPath", ShimFilesTakePathsBeyondMaxPath},
      {"ShimPortLaunchesTheShimAndDrivesIt", ShimPortLaunchesTheShimAndDrivesIt},
      {"ShimPortReportsAShimThatCannotSetUp", ShimPortReportsAShimThatCannotSetUp},
      {"AnUnboundedAnswerStillBoundsReachingTheShim", AnUnboundedAnswerStillBoundsReachingTheShim},
  };
  return silo::windows_testing::RunWinTests(tests);
}
