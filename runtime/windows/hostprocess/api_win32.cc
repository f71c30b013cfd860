// Windows only: binds ProcessApi to Win32.
#include "runtime/windows/hostprocess/api_win32.h"

#include <windows.h>
#include <bcrypt.h>
#include <lm.h>
#include <userenv.h>

#include <vector>

#include "runtime/windows/jobobject/api_win32.h"
#include "runtime/windows/jobobject/job_info.h"

namespace silo::runtime::windows::hostprocess {
namespace {

using silo::runtime::windows::jobobject::JobMemoryUsageInformation;
using silo::runtime::windows::jobobject::kJobObjectCreateSilo;
using silo::runtime::windows::jobobject::kJobObjectMemoryUsageInformation;

// bindfltapi.h (not in mingw-w64): hcsshim's internal/winapi/bindflt.go.
using BfSetupFilterFn = HRESULT(WINAPI*)(HANDLE job, ULONG flags, LPCWSTR virtualization_root,
                                        LPCWSTR virtualization_target, LPCWSTR* exceptions, ULONG exception_count);
constexpr ULONG kBindReadOnly = 0x1;
// PROC_THREAD_ATTRIBUTE_JOB_LIST (Windows 10+; hcsshim's internal/winapi),
// which older mingw-w64 headers lack.
constexpr DWORD_PTR kProcThreadAttributeJobList = 0x2000D;

BfSetupFilterFn BindFilter() {
  static BfSetupFilterFn fn = [] () -> BfSetupFilterFn {
    HMODULE dll = LoadLibraryExW(L"bindfltapi.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (dll == nullptr) return nullptr;
    return reinterpret_cast<BfSetupFilterFn>(reinterpret_cast<void*>(GetProcAddress(dll, "BfSetupFilter")));
  }();
  return fn;
}

uint32_t LastError() { return GetLastError(); }
int32_t Close(void* h) { return CloseHandle(h); }
// Named jobs are made and their owners read the way the pod jobs' are.
const jobobject::JobApi* Jobs() {
  static const jobobject::JobApi* api = [] {
    win32::Result<const jobobject::JobApi*> loaded = jobobject::LoadJobApi();
    return loaded.ok() ? *loaded : nullptr;
  }();
  return api;
}
void* CreateJob(const wchar_t* name, const wchar_t* sddl) {
  if (Jobs() == nullptr) {
    SetLastError(ERROR_PROC_NOT_FOUND);
    return nullptr;
  }
  return Jobs()->create_job_object(name, sddl);
}
void* OpenJob(const wchar_t* name) { return OpenJobObjectW(JOB_OBJECT_ALL_ACCESS, FALSE, name); }
uint32_t JobOwner(void* job, wchar_t* sid, uint32_t capacity) {
  return Jobs() == nullptr ? ERROR_PROC_NOT_FOUND : Jobs()->get_job_owner(job, sid, capacity);
}

int32_t SetLimits(void* job, const JobLimitsSpec* limits) {
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION ext = {};
  if (limits->kill_on_close) ext.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (limits->job_memory_bytes != 0) {
    ext.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_JOB_MEMORY;
    ext.JobMemoryLimit = static_cast<SIZE_T>(limits->job_memory_bytes);
  }
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &ext, sizeof(ext))) return 0;
  if (limits->cpu_rate == 0 && limits->cpu_weight == 0) return 1;
  JOBOBJECT_CPU_RATE_CONTROL_INFORMATION cpu = {};
  if (limits->cpu_rate != 0) {
    cpu.ControlFlags = JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP;
    cpu.CpuRate = limits->cpu_rate;
  } else {
    cpu.ControlFlags = JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_WEIGHT_BASED;
    cpu.Weight = limits->cpu_weight;
  }
  return SetInformationJobObject(job, JobObjectCpuRateControlInformation, &cpu, sizeof(cpu));
}

int32_t PromoteToSilo(void* job) {
  if (BindFilter() == nullptr) {
    SetLastError(ERROR_NOT_SUPPORTED);
    return 0;
  }
  return SetInformationJobObject(job, static_cast<JOBOBJECTINFOCLASS>(kJobObjectCreateSilo), nullptr, 0);
}

int32_t BindPath(void* job, const wchar_t* source, const wchar_t* target, int32_t read_only) {
  BfSetupFilterFn fn = BindFilter();
  if (fn == nullptr) return static_cast<int32_t>(HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED));
  // The virtualization root is where the path appears in the silo; the
  // target is what backs it.
  return static_cast<int32_t>(fn(job, read_only != 0 ? kBindReadOnly : 0, target, source, nullptr, 0));
}

int32_t LinkDirectory(const wchar_t* link, const wchar_t* target) {
  constexpr DWORD kAllowUnprivileged = 0x2;  // SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE
  return CreateSymbolicLinkW(link, target, SYMBOLIC_LINK_FLAG_DIRECTORY | kAllowUnprivileged) ? 1 : 0;
}
int32_t RemoveLink(const wchar_t* link) { return RemoveDirectoryW(link); }
int32_t TerminateJob(void* job, uint32_t code) { return TerminateJobObject(job, code); }

int32_t QueryAccounting(void* job, JobAccountingSpec* out) {
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION basic = {};
  if (!QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &basic, sizeof(basic), nullptr)) {
    return 0;
  }
  *out = {};
  out->user_time_100ns = static_cast<uint64_t>(basic.TotalUserTime.QuadPart);
  out->kernel_time_100ns = static_cast<uint64_t>(basic.TotalKernelTime.QuadPart);
  out->total_processes = basic.TotalProcesses;
  out->active_processes = basic.ActiveProcesses;
  // The IO counters (class 8); Wine lacks the class and they stay 0.
  JOBOBJECT_BASIC_AND_IO_ACCOUNTING_INFORMATION info = {};
  if (QueryInformationJobObject(job, JobObjectBasicAndIoAccountingInformation, &info, sizeof(info), nullptr)) {
    out->read_operations = info.IoInfo.ReadOperationCount;
    out->write_operations = info.IoInfo.WriteOperationCount;
    out->read_bytes = info.IoInfo.ReadTransferCount;
    out->write_bytes = info.IoInfo.WriteTransferCount;
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION ext = {};
  if (!QueryInformationJobObject(job, JobObjectExtendedLimitInformation, &ext, sizeof(ext), nullptr)) return 0;
  out->peak_commit_bytes = ext.PeakJobMemoryUsed;
  // The current commit, as hcsshim's QueryMemoryStats; older hosts lack the
  // class and report 0.
  JobMemoryUsageInformation usage = {};
  if (QueryInformationJobObject(job, static_cast<JOBOBJECTINFOCLASS>(kJobObjectMemoryUsageInformation), &usage,
                                sizeof(usage), nullptr)) {
    out->commit_bytes = usage.job_memory;
  }
  return 1;
}

int32_t Logon(const wchar_t* user, const wchar_t* domain, const wchar_t* password, uint32_t type, void** token) {
  HANDLE h = nullptr;
  if (!LogonUserW(user, domain, password, type, LOGON32_PROVIDER_DEFAULT, &h)) return 0;
  *token = h;
  return 1;
}

int32_t OwnToken(void** token) {
  HANDLE h = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ALL_ACCESS, &h)) return 0;
  *token = h;
  return 1;
}

uint32_t AddUser(const wchar_t* user, const wchar_t* password, const wchar_t* group) {
  USER_INFO_1 info = {};
  info.usri1_name = const_cast<wchar_t*>(user);
  info.usri1_password = const_cast<wchar_t*>(password);
  info.usri1_priv = USER_PRIV_USER;
  info.usri1_flags = UF_SCRIPT | UF_DONT_EXPIRE_PASSWD;
  if (NET_API_STATUS s = NetUserAdd(nullptr, 1, reinterpret_cast<BYTE*>(&info), nullptr); s != NERR_Success) return s;
  LOCALGROUP_MEMBERS_INFO_3 member = {};
  member.lgrmi3_domainandname = const_cast<wchar_t*>(user);
  NET_API_STATUS s = NetLocalGroupAddMembers(nullptr, group, 3, reinterpret_cast<BYTE*>(&member), 1);
  if (s != NERR_Success) NetUserDel(nullptr, user);
  return s;
}

uint32_t DeleteUser(const wchar_t* user) { return NetUserDel(nullptr, user); }

int32_t CreateEnv(void** block, void* token) { return CreateEnvironmentBlock(block, token, FALSE); }
int32_t DestroyEnv(void* block) { return DestroyEnvironmentBlock(block); }

int32_t MakePipe(void** read, void** write) {
  SECURITY_ATTRIBUTES sa = {sizeof(sa), nullptr, TRUE};
  HANDLE r = nullptr, w = nullptr;
  if (!CreatePipe(&r, &w, &sa, 0)) return 0;
  // Only the child's end is inherited.
  if (!SetHandleInformation(r, HANDLE_FLAG_INHERIT, 0)) {
    DWORD e = GetLastError();
    CloseHandle(r);
    CloseHandle(w);
    SetLastError(e);
    return 0;
  }
  *read = r;
  *write = w;
  return 1;
}

int32_t MakeInputPipe(void** read, void** write) {
  // The same pipe, the other end inherited.
  if (MakePipe(read, write) == 0) return 0;
  if (!SetHandleInformation(*read, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT) ||
      !SetHandleInformation(*write, HANDLE_FLAG_INHERIT, 0)) {
    DWORD e = GetLastError();
    CloseHandle(*read);
    CloseHandle(*write);
    SetLastError(e);
    return 0;
  }
  return 1;
}

int32_t Write(void* h, const void* data, uint32_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    DWORD n = 0;
    if (!WriteFile(h, p, size, &n, nullptr)) return 0;
    p += n;
    size -= n;
  }
  return 1;
}

int32_t Read(void* h, void* buffer, uint32_t size, uint32_t* got) {
  DWORD n = 0;
  BOOL ok = ReadFile(h, buffer, size, &n, nullptr);
  *got = n;
  return ok;
}

int32_t JobPids(void* job, uint32_t* pids, uint32_t capacity, uint32_t* count) {
  std::vector<char> storage(sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) + capacity * sizeof(ULONG_PTR));
  auto* list = reinterpret_cast<JOBOBJECT_BASIC_PROCESS_ID_LIST*>(storage.data());
  const BOOL ok = QueryInformationJobObject(job, JobObjectBasicProcessIdList, list,
                                            static_cast<DWORD>(storage.size()), nullptr);
  if (!ok && GetLastError() != ERROR_MORE_DATA) return 0;
  if (!ok || list->NumberOfAssignedProcesses > capacity) {
    *count = list->NumberOfAssignedProcesses;
    SetLastError(ERROR_MORE_DATA);
    return 0;
  }
  *count = list->NumberOfProcessIdsInList;
  for (DWORD i = 0; i < list->NumberOfProcessIdsInList; ++i) pids[i] = static_cast<uint32_t>(list->ProcessIdList[i]);
  return 1;
}

void* OpenProc(uint32_t pid) {
  // CreateRemoteThread's rights (the control event), and waiting and ending it.
  return OpenProcess(PROCESS_CREATE_THREAD | PROCESS_QUERY_INFORMATION | PROCESS_VM_OPERATION | PROCESS_VM_WRITE |
                         PROCESS_VM_READ | PROCESS_TERMINATE | SYNCHRONIZE,
                     FALSE, pid);
}

int32_t InJob(void* process, void* job, int32_t* in) {
  BOOL result = FALSE;
  if (!IsProcessInJob(process, job, &result)) return 0;
  *in = result ? 1 : 0;
  return 1;
}

int32_t CancelPendingIo(void* h) { return CancelIoEx(h, nullptr); }

// ConPTY, resolved at run time: kernel32 has it from Windows 10 1809 on.
struct ConPtyEntries {
  HRESULT(WINAPI* create)(COORD size, HANDLE input, HANDLE output, DWORD flags, void** console) = nullptr;
  HRESULT(WINAPI* resize)(void* console, COORD size) = nullptr;
  void(WINAPI* close)(void* console) = nullptr;
};

const ConPtyEntries& ConPty() {
  static const ConPtyEntries entries = [] {
    ConPtyEntries e;
    HMODULE kernel32 = GetModuleHandleW(L"kernel32.dll");
    if (kernel32 == nullptr) return e;
    e.create = reinterpret_cast<decltype(e.create)>(
        reinterpret_cast<void*>(GetProcAddress(kernel32, "CreatePseudoConsole")));
    e.resize = reinterpret_cast<decltype(e.resize)>(
        reinterpret_cast<void*>(GetProcAddress(kernel32, "ResizePseudoConsole")));
    e.close = reinterpret_cast<decltype(e.close)>(
        reinterpret_cast<void*>(GetProcAddress(kernel32, "ClosePseudoConsole")));
    if (e.create == nullptr || e.resize == nullptr || e.close == nullptr) e = ConPtyEntries{};
    return e;
  }();
  return entries;
}

COORD ConsoleCoord(uint16_t width, uint16_t height) {
  return COORD{static_cast<SHORT>(width), static_cast<SHORT>(height)};
}

int32_t CreateConsole(uint16_t width, uint16_t height, void* input, void* output, void** console) {
  if (ConPty().create == nullptr) return kHrProcNotFound;
  return ConPty().create(ConsoleCoord(width, height), input, output, 0, console);
}

int32_t ResizeConsole(void* console, uint16_t width, uint16_t height) {
  if (ConPty().resize == nullptr) return kHrProcNotFound;
  return ConPty().resize(console, ConsoleCoord(width, height));
}

void CloseConsole(void* console) {
  if (ConPty().close != nullptr) ConPty().close(console);
}

// PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE (ProcThreadAttributeValue(22, FALSE,
// TRUE, FALSE)), which older SDK headers lack.
constexpr DWORD_PTR kProcThreadAttributePseudoConsole = 0x00020016;

int32_t Launch(const LaunchSpec* spec, LaunchedProcess* out) {
  // Only this process's stdio handles are inherited, never another
  // container's pipe that happens to be inheritable at the same moment.
  std::vector<HANDLE> inherit;
  for (void* h : {spec->std_input, spec->std_output, spec->std_error}) {
    if (h != nullptr) inherit.push_back(h);
  }
  if (spec->pseudo_console != nullptr && !inherit.empty()) {
    SetLastError(ERROR_INVALID_PARAMETER);  // the console's stdio, or pipes: not both
    return 0;
  }
  // The handle list, the job list and the pseudo console (hcsshim's exec
  // sizes its list for the three).
  SIZE_T size = 0;
  InitializeProcThreadAttributeList(nullptr, 3, 0, &size);
  std::vector<char> storage(size);
  auto* attrs = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage.data());
  if (!InitializeProcThreadAttributeList(attrs, 3, 0, &size)) return 0;
  BOOL ok = inherit.empty() || UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit.data(),
                                                         inherit.size() * sizeof(HANDLE), nullptr, nullptr);
  HANDLE job = spec->job;
  if (ok && job != nullptr) {
    ok = UpdateProcThreadAttribute(attrs, 0, kProcThreadAttributeJobList, &job, sizeof(job), nullptr, nullptr);
  }
  if (ok && spec->pseudo_console != nullptr) {
    // The value is the console handle itself, as hcsshim's conpty passes it.
    ok = UpdateProcThreadAttribute(attrs, 0, kProcThreadAttributePseudoConsole, spec->pseudo_console,
                                   sizeof(spec->pseudo_console), nullptr, nullptr);
  }
  if (ok) {
    STARTUPINFOEXW si = {};
    si.StartupInfo.cb = sizeof(si);
    // On a pseudo console the process's stdio is the console's: no std
    // handles are passed, as in Microsoft's ConPTY sample (hcsshim passes
    // null ones with STARTF_USESTDHANDLES, which Wine takes literally).
    si.StartupInfo.dwFlags = spec->pseudo_console != nullptr ? 0 : STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = spec->std_input;
    si.StartupInfo.hStdOutput = spec->std_output;
    si.StartupInfo.hStdError = spec->std_error;
    si.lpAttributeList = attrs;
    DWORD flags = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT;
    if (spec->new_process_group) flags |= CREATE_NEW_PROCESS_GROUP;
    if (spec->breakaway_from_job) flags |= CREATE_BREAKAWAY_FROM_JOB;
    PROCESS_INFORMATION pi = {};
    void* env = const_cast<wchar_t*>(spec->environment);
    ok = spec->token == nullptr
             ? CreateProcessW(nullptr, spec->command_line, nullptr, nullptr, !inherit.empty(), flags, env,
                              spec->working_directory, &si.StartupInfo, &pi)
             : CreateProcessAsUserW(spec->token, nullptr, spec->command_line, nullptr, nullptr, !inherit.empty(), flags,
                                    env, spec->working_directory, &si.StartupInfo, &pi);
    if (ok) {
      out->process = pi.hProcess;
      out->thread = pi.hThread;
      out->pid = pi.dwProcessId;
    }
  }
  DWORD e = GetLastError();
  DeleteProcThreadAttributeList(attrs);
  SetLastError(e);
  return ok;
}

uint32_t RandomBytes(void* buffer, uint32_t size) {
  return static_cast<uint32_t>(
      BCryptGenRandom(nullptr, static_cast<PUCHAR>(buffer), size, BCRYPT_USE_SYSTEM_PREFERRED_RNG));
}

int32_t SendCtrl(void* process, uint32_t event) {
  // Not officially supported, but what hcsshim relies on: GenerateConsole-
  // CtrlEvent reaches only a console silod shares and only CTRL_C/BREAK.
  static const auto routine = reinterpret_cast<LPTHREAD_START_ROUTINE>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "CtrlRoutine")));
  if (routine == nullptr) {
    SetLastError(ERROR_PROC_NOT_FOUND);
    return 0;
  }
  HANDLE thread = CreateRemoteThread(process, nullptr, 0, routine, reinterpret_cast<void*>(uintptr_t{event}), 0,
                                     nullptr);
  if (thread == nullptr) return 0;
  CloseHandle(thread);
  return 1;
}

uint32_t Resume(void* thread) { return ResumeThread(thread); }
int32_t TerminateProc(void* process, uint32_t code) { return TerminateProcess(process, code); }
uint32_t Wait(void* h, uint32_t ms) { return WaitForSingleObject(h, ms); }
int32_t ExitCode(void* process, uint32_t* code) {
  DWORD c = 0;
  if (!GetExitCodeProcess(process, &c)) return 0;
  *code = c;
  return 1;
}

}  // namespace

const ProcessApi& Win32ProcessApi() {
  static const ProcessApi api = {
      .get_last_error = LastError,
      .close_handle = Close,
      .create_job_object = CreateJob,
      .open_job_object = OpenJob,
      .get_job_owner = JobOwner,
      .set_job_limits = SetLimits,
      .promote_to_silo = PromoteToSilo,
      .bind_path = BindPath,
      .link_directory = LinkDirectory,
      .remove_link = RemoveLink,
      .terminate_job_object = TerminateJob,
      .job_process_ids = JobPids,
      .open_process = OpenProc,
      .is_process_in_job = InJob,
      .query_job_accounting = QueryAccounting,
      .logon_user = Logon,
      .open_own_token = OwnToken,
      .add_temporary_user = AddUser,
      .delete_user = DeleteUser,
      .random_bytes = RandomBytes,
      .create_environment_block = CreateEnv,
      .destroy_environment_block = DestroyEnv,
      .create_pipe = MakePipe,
      .create_input_pipe = MakeInputPipe,
      .write_file = Write,
      .read_file = Read,
      .cancel_io = CancelPendingIo,
      .create_process = Launch,
      .create_pseudo_console = CreateConsole,
      .resize_pseudo_console = ResizeConsole,
      .close_pseudo_console = CloseConsole,
      .resume_thread = Resume,
      .terminate_process = TerminateProc,
      .send_ctrl_event = SendCtrl,
      .wait_for_single_object = Wait,
      .get_exit_code_process = ExitCode,
  };
  return api;
}

bool BindFilterAvailable() { return BindFilter() != nullptr; }

}  // namespace silo::runtime::windows::hostprocess
