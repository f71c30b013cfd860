// PluginExec on Windows: CreateProcessW with the CNI environment, stdin and
// stdout/stderr over anonymous pipes (one reader thread each, so a plugin
// that fills one pipe cannot stall on the other), and a Job Object that
// kills the plugin and whatever it started when the deadline passes or the
// run ends. Only the three pipe ends are inherited (an explicit handle list).
#include <windows.h>

#include <algorithm>
#include <cwctype>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "network/cni/plugin_exec.h"
#include "network/cni/windows_plugin_lookup.h"
#include "runtime/base/windows/wide.h"
#include "runtime/base/windows/win32_status.h"

namespace silo::network::cni {
namespace {

struct Handle {
  HANDLE h = nullptr;
  Handle() = default;
  explicit Handle(HANDLE v) : h(v) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { Reset(); }
  void Reset() {
    if (h != nullptr && h != INVALID_HANDLE_VALUE) CloseHandle(h);
    h = nullptr;
  }
};

// The daemon's environment with `extra` added; names compare without case,
// as Windows does, and the block is sorted as CreateProcessW expects.
std::wstring EnvironmentBlock(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::wstring, std::wstring, bool (*)(const std::wstring&, const std::wstring&)> vars(
      [](const std::wstring& a, const std::wstring& b) {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                            [](wchar_t x, wchar_t y) { return std::towupper(x) < std::towupper(y); });
      });
  if (wchar_t* env = GetEnvironmentStringsW()) {
    for (const wchar_t* p = env; *p != L'\0'; p += wcslen(p) + 1) {
      std::wstring entry(p);
      size_t eq = entry.find(L'=', 1);  // "=C:=C:\dir" entries start with '='
      if (eq != std::wstring::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    FreeEnvironmentStringsW(env);
  }
  for (const auto& [k, v] : extra) vars[win32::Utf8ToWide(k)] = win32::Utf8ToWide(v);
  std::wstring block;
  for (const auto& [k, v] : vars) block += k + L"=" + v + L'\0';
  block += L'\0';
  return block;
}

void ReadAll(HANDLE pipe, std::string* out) {
  char buf[16 * 1024];
  DWORD n = 0;
  while (::ReadFile(pipe, buf, sizeof(buf), &n, nullptr) && n > 0) out->append(buf, n);
}

class WindowsPluginExec final : public PluginExec {
 public:
  absl::StatusOr<ExecOutput> Run(const ExecRequest& req) override {
    const std::wstring path = win32::Utf8ToWide(req.path);
    DWORD attrs = GetFileAttributesW(path.c_str());
    if (attrs == INVALID_FILE_ATTRIBUTES) return win32::LastErrorToStatus(absl::StrCat("plugin ", req.path));
    if (attrs & FILE_ATTRIBUTE_DIRECTORY) {
      return absl::PermissionDeniedError(absl::StrCat("plugin ", req.path, " is a directory, not a program"));
    }

    SECURITY_ATTRIBUTES inherit = {sizeof(inherit), nullptr, TRUE};
    Handle in_read, in_write, out_read, out_write, err_read, err_write;
    if (!CreatePipe(&in_read.h, &in_write.h, &inherit, 0) || !CreatePipe(&out_read.h, &out_write.h, &inherit, 0) ||
        !CreatePipe(&err_read.h, &err_write.h, &inherit, 0)) {
      return win32::LastErrorToStatus("create plugin pipes");
    }
    // Our ends stay in this process.
    SetHandleInformation(in_write.h, HANDLE_FLAG_INHERIT, 0);
    SetHandleInformation(out_read.h, HANDLE_FLAG_INHERIT, 0);
    SetHandleInformation(err_read.h, HANDLE_FLAG_INHERIT, 0);

    Handle job(CreateJobObjectW(nullptr, nullptr));
    if (job.h == nullptr) return win32::LastErrorToStatus("create plugin job object");
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    // Without kill-on-close a plugin that outlives its deadline would run on.
    if (!SetInformationJobObject(job.h, JobObjectExtendedLimitInformation, &limits, sizeof(limits))) {
      return win32::LastErrorToStatus("plugin job object limits");
    }

    SIZE_T size = 0;
    InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    std::vector<char> attr_buf(size);
    auto* attrs_list = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attr_buf.data());
    if (!InitializeProcThreadAttributeList(attrs_list, 1, 0, &size)) {
      return win32::LastErrorToStatus("plugin attribute list");
    }
    HANDLE inherited[] = {in_read.h, out_write.h, err_write.h};
    // Without the list, CreateProcessW would hand the plugin every inheritable
    // handle silod holds: refuse instead.
    if (!UpdateProcThreadAttribute(attrs_list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited, sizeof(inherited),
                                   nullptr, nullptr)) {
      absl::Status failed = win32::LastErrorToStatus("plugin inherited handle list");
      DeleteProcThreadAttributeList(attrs_list);
      return failed;
    }
    STARTUPINFOEXW si = {};
    si.StartupInfo.cb = sizeof(si);
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = in_read.h;
    si.StartupInfo.hStdOutput = out_write.h;
    si.StartupInfo.hStdError = err_write.h;
    si.lpAttributeList = attrs_list;

    std::wstring env = EnvironmentBlock(req.env);
    std::wstring command_line = L"\"" + path + L"\"";
    PROCESS_INFORMATION pi = {};
    BOOL created = CreateProcessW(path.c_str(), command_line.data(), nullptr, nullptr, TRUE,
                                  CREATE_SUSPENDED | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT |
                                      EXTENDED_STARTUPINFO_PRESENT,
                                  env.data(), nullptr, &si.StartupInfo, &pi);
    DWORD create_error = GetLastError();
    DeleteProcThreadAttributeList(attrs_list);
    if (!created) return win32::Win32ErrorToStatus(create_error, absl::StrCat("start plugin ", req.path));
    Handle process(pi.hProcess), thread(pi.hThread);
    // In the job before it runs a single instruction, so nothing escapes.
    if (!AssignProcessToJobObject(job.h, process.h)) {
      absl::Status s = win32::LastErrorToStatus(absl::StrCat("put plugin ", req.path, " in its job object"));
      TerminateProcess(process.h, 1);
      return s;
    }
    ResumeThread(thread.h);
    in_read.Reset();
    out_write.Reset();
    err_write.Reset();

    ExecOutput out;
    std::thread stdout_reader([&] { ReadAll(out_read.h, &out.stdout_data); });
    std::thread stderr_reader([&] { ReadAll(err_read.h, &out.stderr_data); });
    std::thread writer([&] {
      DWORD n = 0;
      size_t done = 0;
      while (done < req.stdin_data.size() &&
             WriteFile(in_write.h, req.stdin_data.data() + done,
                       static_cast<DWORD>(std::min<size_t>(req.stdin_data.size() - done, 1 << 20)), &n, nullptr)) {
        done += n;
      }
      in_write.Reset();  // EOF on the plugin's stdin
    });
    const int64_t ms = absl::ToInt64Milliseconds(req.timeout);
    DWORD waited = WaitForSingleObject(process.h, ms <= 0 ? INFINITE : static_cast<DWORD>(std::min<int64_t>(ms, INFINITE - 1)));
    absl::Status failure;
    if (waited != WAIT_OBJECT_0) {
      failure = absl::DeadlineExceededError(absl::StrCat("plugin ", req.path, " did not finish within ",
                                                         absl::FormatDuration(req.timeout), "; killed"));
    }
    // Ends the plugin's children too, which would otherwise keep the pipes open.
    TerminateJobObject(job.h, 1);
    WaitForSingleObject(process.h, INFINITE);
    writer.join();
    stdout_reader.join();
    stderr_reader.join();
    if (!failure.ok()) return failure;
    DWORD code = 0;
    GetExitCodeProcess(process.h, &code);
    out.exit_code = static_cast<int>(code);
    return out;
  }
};

}  // namespace

std::unique_ptr<PluginExec> NewPluginExec() { return std::make_unique<WindowsPluginExec>(); }

const char* PathListSeparator() { return ";"; }

bool IsPluginFile(const std::string& path) {
  DWORD attrs = GetFileAttributesW(win32::Utf8ToWide(path).c_str());
  return attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY) == 0;
}

absl::StatusOr<std::string> FindPluginBinary(const std::vector<std::string>& bin_dirs, const std::string& type) {
  return FindWindowsPluginBinary(bin_dirs, type, IsPluginFile);
}

}  // namespace silo::network::cni
