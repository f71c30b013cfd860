#include "runtime/windows/shim/shim_port_win32.h"

#include <windows.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "runtime/base/windows/named_pipe_win32.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/shim/pipe_frames_win32.h"
#include "runtime/windows/shim/shim_pipe_client_win32.h"

namespace silo::runtime::windows::shim {
namespace {

namespace wire = runtime::shim;
using win32::HrStatus;

constexpr uint32_t kEInvalidArg = 0x80070057;
constexpr uint32_t kEFail = 0x80004005;

// Container ids are the CRI's (hex); anything that could break the command
// line or the pipe name is refused.
bool SafeId(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
           c == '.';
  });
}

// A path as one command-line argument. Windows file names cannot hold '"',
// and a path that ends in '\' would escape the closing quote: both refused.
bool QuotePath(const std::string& path, std::wstring* out) {
  if (path.empty() || path.find('"') != std::string::npos || path.back() == '\\') return false;
  *out += L" \"" + win32::Utf8ToWide(path) + L"\"";
  return true;
}

// The shim's stdout/stderr file, not inheritable: StartShim makes it so
// just for the one CreateProcess that names it in its handle list. Null
// for an empty path.
win32::Result<HANDLE> OpenDiagnostics(const std::string& path) {
  if (path.empty()) return static_cast<HANDLE>(nullptr);
  HANDLE h = CreateFileW(win32::Utf8ToWide(path).c_str(), FILE_APPEND_DATA | SYNCHRONIZE,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, CREATE_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return win32::LastErrorStatus("open the shim's diagnostics file " + path);
  return h;
}

// The last lines the shim wrote, for a launch error (at most 1 KiB, one line).
std::string TailOf(const std::string& path) {
  if (path.empty()) return "";
  HANDLE h = CreateFileW(win32::Utf8ToWide(path).c_str(), GENERIC_READ,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return "";
  LARGE_INTEGER size = {};
  std::string text;
  if (GetFileSizeEx(h, &size)) {
    const LONGLONG keep = std::min<LONGLONG>(size.QuadPart, 1024);
    LARGE_INTEGER at = {};
    at.QuadPart = size.QuadPart - keep;
    text.resize(static_cast<size_t>(keep));
    DWORD got = 0;
    if (!SetFilePointerEx(h, at, nullptr, FILE_BEGIN) ||
        !ReadFile(h, text.data(), static_cast<DWORD>(text.size()), &got, nullptr)) {
      got = 0;
    }
    text.resize(got);
  }
  CloseHandle(h);
  // Start on a character boundary: the message may end up in a proto string.
  size_t first = 0;
  while (first < text.size() && (static_cast<unsigned char>(text[first]) & 0xC0) == 0x80) ++first;
  text.erase(0, first);
  for (char& c : text) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// Starts the shim with `output` (may be null) as its stdout and stderr and
// no other handle inherited: silod's own inheritable handles stay its own.
win32::Result<HANDLE> StartShim(const std::wstring& exe, std::wstring& cmd, HANDLE output) {
  STARTUPINFOEXW si = {};
  si.StartupInfo.cb = sizeof(si);
  std::vector<char> attributes;
  HANDLE inherited[1] = {output};
  if (output != nullptr) {
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdOutput = output;
    si.StartupInfo.hStdError = output;
    SIZE_T size = 0;
    InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    attributes.resize(size);
    si.lpAttributeList = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attributes.data());
    if (!InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0, &size)) {
      return win32::LastErrorStatus("InitializeProcThreadAttributeList");
    }
    if (!UpdateProcThreadAttribute(si.lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited,
                                   sizeof(inherited), nullptr, nullptr)) {
      HrStatus failed = win32::LastErrorStatus("UpdateProcThreadAttribute(HANDLE_LIST)");
      DeleteProcThreadAttributeList(si.lpAttributeList);
      return failed;
    }
  }
  const BOOL inherit = output != nullptr;
  if (inherit && !SetHandleInformation(output, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT)) {
    HrStatus failed = win32::LastErrorStatus("SetHandleInformation(HANDLE_FLAG_INHERIT)");
    if (si.lpAttributeList != nullptr) DeleteProcThreadAttributeList(si.lpAttributeList);
    return failed;
  }
  PROCESS_INFORMATION pi = {};
  // Its own process group (silod's Ctrl+Break is not its), no console,
  // and out of silod's job so that a job closing with silod spares it.
  DWORD flags = CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP | CREATE_UNICODE_ENVIRONMENT;
  if (output != nullptr) flags |= EXTENDED_STARTUPINFO_PRESENT;
  BOOL created = CreateProcessW(exe.c_str(), cmd.data(), nullptr, nullptr, inherit, flags | CREATE_BREAKAWAY_FROM_JOB,
                                nullptr, nullptr, &si.StartupInfo, &pi);
  if (!created && GetLastError() == ERROR_ACCESS_DENIED) {
    // A job without JOB_OBJECT_LIMIT_BREAKAWAY_OK: the shim stays in it.
    created = CreateProcessW(exe.c_str(), cmd.data(), nullptr, nullptr, inherit, flags, nullptr, nullptr,
                             &si.StartupInfo, &pi);
  }
  HrStatus failed = created ? HrStatus::Ok() : win32::LastErrorStatus("start " + win32::WideToUtf8(exe));
  if (si.lpAttributeList != nullptr) DeleteProcThreadAttributeList(si.lpAttributeList);
  if (!created) return failed;
  CloseHandle(pi.hThread);
  return pi.hProcess;
}

class Win32ShimPort final : public ShimPort {
 public:
  explicit Win32ShimPort(std::wstring exe) : exe_(std::move(exe)) {}

  HrStatus Launch(const ShimLaunch& l, Deadline deadline) override {
    if (!SafeId(l.id)) return HrStatus(kEInvalidArg, "container id unfit for a shim: " + l.id);
    std::wstring cmd = L"\"" + exe_ + L"\" --id " + win32::Utf8ToWide(l.id);
    bool ok = true;
    cmd += L" --exit-file";
    ok = ok && QuotePath(l.exit_path, &cmd);
    if (!l.hostprocess_path.empty()) {
      cmd += L" --hostprocess";
      ok = ok && QuotePath(l.hostprocess_path, &cmd);
    } else {
      cmd += L" --process";
      ok = ok && QuotePath(l.process_path, &cmd);
      cmd += L" --document";
      ok = ok && QuotePath(l.document_path, &cmd);
    }
    if (!l.log_path.empty()) {
      cmd += L" --log";
      ok = ok && QuotePath(l.log_path, &cmd);
    }
    if (!ok) return HrStatus(kEInvalidArg, "a file path of container " + l.id + " cannot be passed to silo-shim");
    if (l.open_stdin) cmd += L" --stdin";
    cmd += L" --create-only";

    win32::Result<HANDLE> diagnostics = OpenDiagnostics(l.diagnostics_path);
    if (!diagnostics.ok()) return diagnostics.status();
    win32::Result<HANDLE> process = StartShim(exe_, cmd, *diagnostics);
    if (*diagnostics != nullptr) CloseHandle(*diagnostics);
    if (!process.ok()) return process.status();
    HrStatus result = AwaitServing(l, *process, deadline);
    CloseHandle(*process);
    return result;
  }

  win32::Result<wire::Response> Call(const std::string& id, const wire::Request& request,
                                     Deadline deadline) override {
    if (!SafeId(id)) return HrStatus(kHrShimGone, "no shim can serve container id " + id);
    return ShimPipeClient(ShimPipeName(id)).Call(request, deadline);
  }

  win32::Result<wire::Response> CallWithAnswerDeadline(const std::string& id, const wire::Request& request,
                                                       Deadline send_deadline, Deadline answer_deadline) override {
    return ShimPipeClient(ShimPipeName(id)).Call(request, send_deadline, answer_deadline);
  }

  win32::Result<ShimSession> OpenSession(const std::string& id, const wire::Request& request,
                                         Deadline deadline) override {
    if (!SafeId(id)) return HrStatus(kHrShimGone, "no shim can serve container id " + id);
    return ShimPipeClient(ShimPipeName(id)).OpenSession(request, deadline);
  }

 private:
  // Waits until the shim answers on its pipe (the system exists), it
  // exits (setup failed: it left nothing), or the deadline (then it is
  // killed, and its handle's close ends the system).
  HrStatus AwaitServing(const ShimLaunch& l, HANDLE process, Deadline deadline) {
    const std::string& id = l.id;
    ShimPipeClient client(ShimPipeName(id));
    wire::Request state;
    state.op = wire::Op::kState;
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (WaitForSingleObject(process, 0) == WAIT_OBJECT_0) {
        DWORD code = 0;
        GetExitCodeProcess(process, &code);
        const std::string said = TailOf(l.diagnostics_path);
        return HrStatus(kEFail, "silo-shim of container " + id + " exited with code " + std::to_string(code) +
                                    " before serving its pipe" +
                                    (said.empty() ? " (2: bad arguments, 1: the container could not be created)"
                                                  : ": " + said));
      }
      auto r = client.Call(state, std::min(deadline, now + std::chrono::seconds(1)));
      if (r.ok()) return HrStatus::Ok();
      if (std::chrono::steady_clock::now() >= deadline) {
        TerminateProcess(process, 1);
        WaitForSingleObject(process, 5000);
        return HrStatus(kHrPipeTimeout, "silo-shim of container " + id + " did not serve its pipe in time");
      }
      Sleep(20);
    }
  }

  const std::wstring exe_;
};

}  // namespace

std::shared_ptr<ShimPort> NewWin32ShimPort(std::wstring shim_exe) {
  return std::make_shared<Win32ShimPort>(std::move(shim_exe));
}

std::wstring ShimExeBesideThisProgram() {
  std::wstring path(32768, L'\0');
  const DWORD n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
  path.resize(n);
  const size_t slash = path.find_last_of(L"\\/");
  return (slash == std::wstring::npos ? std::wstring() : path.substr(0, slash + 1)) + L"silo-shim.exe";
}

}  // namespace silo::runtime::windows::shim
