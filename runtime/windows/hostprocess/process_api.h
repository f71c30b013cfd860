#pragma once
// ProcessApi: every Win32 call a HostProcess container makes (its named Job
// Object, the logon, the environment block, the process born suspended in
// the job, its stdio pipes, exit codes and the job's accounting), as a table
// of plain function pointers, so HostProcessContainerHost runs on Linux
// against fake/fake_process_api.h. Only api_win32.cc knows Win32. Handles are
// void*, strings `const wchar_t*` (UTF-16 on Windows, UTF-32 in the fake,
// never passed to Windows); BOOL results are int32_t, failures leave the
// Win32 error for get_last_error. Immutable after loading; thread-safe.

#include <cstdint>

namespace silo::runtime::windows::hostprocess {

// Win32 error codes the host branches on.
inline constexpr uint32_t kErrorFileNotFound = 2;
inline constexpr uint32_t kErrorInvalidHandle = 6;
inline constexpr uint32_t kErrorInvalidParameter = 87;
inline constexpr uint32_t kErrorBrokenPipe = 109;
inline constexpr uint32_t kErrorMoreData = 234;
inline constexpr uint32_t kErrorAlreadyExists = 183;
inline constexpr uint32_t kErrorOperationAborted = 995;
inline constexpr uint32_t kErrorNotFound = 1168;
inline constexpr uint32_t kWaitObject0 = 0;
inline constexpr uint32_t kWaitTimeout = 258;
inline constexpr uint32_t kStillActive = 259;
inline constexpr uint32_t kInfinite = 0xFFFFFFFF;
// HRESULT_FROM_WIN32(ERROR_PROC_NOT_FOUND): an entry point the system lacks.
inline constexpr int32_t kHrProcNotFound = static_cast<int32_t>(0x8007007F);
// hcsshim's pseudo console size when the client sent none.
inline constexpr uint16_t kDefaultConsoleWidth = 80;
inline constexpr uint16_t kDefaultConsoleHeight = 25;

// Console control events (wincon.h) CtrlRoutine takes.
inline constexpr uint32_t kCtrlCEvent = 0;
inline constexpr uint32_t kCtrlBreakEvent = 1;
inline constexpr uint32_t kCtrlCloseEvent = 2;
inline constexpr uint32_t kCtrlLogoffEvent = 5;
inline constexpr uint32_t kCtrlShutdownEvent = 6;

// LogonUserW types: the service accounts log on as services, a temporary
// user interactively (hcsshim's processToken).
inline constexpr uint32_t kLogonInteractive = 2;
inline constexpr uint32_t kLogonService = 5;

// The job's limits, applied with one SetInformationJobObject each
// (JobObjectExtendedLimitInformation, JobObjectCpuRateControlInformation).
struct JobLimitsSpec {
  bool kill_on_close = false;      // JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
  uint64_t job_memory_bytes = 0;   // JOB_OBJECT_LIMIT_JOB_MEMORY; 0: none
  uint32_t cpu_rate = 0;           // hard cap 1..10000; 0: none
  uint32_t cpu_weight = 0;         // 1..9; 0: none
};

// JobObjectBasicAndIoAccountingInformation plus the job memory of
// JobObjectExtendedLimitInformation (PeakJobMemoryUsed) and
// JobObjectMemoryUsageInformation (JobMemory, the current commit).
struct JobAccountingSpec {
  uint64_t user_time_100ns = 0;
  uint64_t kernel_time_100ns = 0;
  uint32_t total_processes = 0;
  uint32_t active_processes = 0;
  uint64_t read_operations = 0;
  uint64_t write_operations = 0;
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t commit_bytes = 0;
  uint64_t peak_commit_bytes = 0;
};

// CreateProcessAsUserW (or CreateProcessW when token is null) with
// CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | CREATE_NEW_PROCESS_GROUP
// and STARTF_USESTDHANDLES over the given (inheritable) handles. As
// hcsshim's internal/exec does for job containers, the process is born in
// `job` (PROC_THREAD_ATTRIBUTE_JOB_LIST), never assigned after it exists, and
// with CREATE_BREAKAWAY_FROM_JOB it leaves the job silod itself runs in (a
// service host's or a debugger's): that job's limits and kill-on-close must
// not reach containers. Where silod's job forbids breakaway the create fails
// with ERROR_ACCESS_DENIED.
struct LaunchSpec {
  void* job = nullptr;                  // the job the process is born in; null: none
  bool breakaway_from_job = false;      // CREATE_BREAKAWAY_FROM_JOB
  // CREATE_NEW_PROCESS_GROUP: never on a pseudo console, where it would
  // turn Ctrl-C off for the whole tree (hcsshim's exec leaves it out).
  bool new_process_group = false;
  void* token = nullptr;                // null: silod's own token
  wchar_t* command_line = nullptr;      // writable, as CreateProcessW wants
  const wchar_t* environment = nullptr; // "A=1\0B=2\0\0"
  const wchar_t* working_directory = nullptr;
  void* std_input = nullptr;            // null: no stdin
  void* std_output = nullptr;
  void* std_error = nullptr;
  // A pseudo console (create_pseudo_console) the process attaches to
  // (PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE), as hcsshim's exec does for a
  // job container's TTY: then no handle is inherited and the std_* fields
  // must be null (its stdio is the console's).
  void* pseudo_console = nullptr;
};

struct LaunchedProcess {
  void* process = nullptr;
  void* thread = nullptr;
  uint32_t pid = 0;
};

struct ProcessApi {
  uint32_t (*get_last_error)();
  int32_t (*close_handle)(void* handle);

  // CreateJobObjectW(&sa, name), sa carrying the descriptor `sddl` parses
  // to (jobobject::JobApi::create_job_object): an existing name opens that
  // job and leaves ERROR_ALREADY_EXISTS in get_last_error.
  void* (*create_job_object)(const wchar_t* name, const wchar_t* sddl);
  // OpenJobObjectW(JOB_OBJECT_ALL_ACCESS, FALSE, name).
  void* (*open_job_object)(const wchar_t* name);
  // The job's owner SID as text (jobobject::JobApi::get_job_owner); 0 or a
  // Win32 error.
  uint32_t (*get_job_owner)(void* job, wchar_t* sid, uint32_t capacity);
  int32_t (*set_job_limits)(void* job, const JobLimitsSpec* limits);
  // Promotes the job to a server silo (JobObjectCreateSilo); false where
  // the bind filter is missing (WS2019, Wine).
  int32_t (*promote_to_silo)(void* job);
  // BfSetupFilter: `source` appears at `target` inside the silo only.
  // Returns an HRESULT (0 = success).
  int32_t (*bind_path)(void* job, const wchar_t* source, const wchar_t* target, int32_t read_only);
  // CreateSymbolicLinkW(link, target, SYMBOLIC_LINK_FLAG_DIRECTORY), the
  // mount point and mounts where there is no bind filter.
  int32_t (*link_directory)(const wchar_t* link, const wchar_t* target);
  // RemoveDirectoryW of a directory link (not what it points at).
  int32_t (*remove_link)(const wchar_t* link);
  int32_t (*terminate_job_object)(void* job, uint32_t exit_code);
  // QueryInformationJobObject(JobObjectBasicProcessIdList): up to `capacity`
  // pids of the job's processes into `pids`, their number into `count`.
  // False with ERROR_MORE_DATA (count: how many there are) when `capacity`
  // is too small.
  int32_t (*job_process_ids)(void* job, uint32_t* pids, uint32_t capacity, uint32_t* count);
  // OpenProcess with the rights send_ctrl_event, wait and terminate need;
  // null (ERROR_INVALID_PARAMETER) when no such process runs.
  void* (*open_process)(uint32_t pid);
  // IsProcessInJob(process, job, &in): a BOOL; *in says whether `process`
  // is in `job` (a pid from job_process_ids may be reused by the time it
  // is opened).
  int32_t (*is_process_in_job)(void* process, void* job, int32_t* in);
  int32_t (*query_job_accounting)(void* job, JobAccountingSpec* out);

  // LogonUserW(user, domain, NULL or password, type, LOGON32_PROVIDER_DEFAULT).
  int32_t (*logon_user)(const wchar_t* user, const wchar_t* domain, const wchar_t* password, uint32_t logon_type,
                        void** token);
  // OpenProcessToken(GetCurrentProcess(), TOKEN_ALL_ACCESS).
  int32_t (*open_own_token)(void** token);
  // NetUserAdd + NetLocalGroupAddMembers: a temporary local user in `group`;
  // returns a Win32 error (0 = success).
  uint32_t (*add_temporary_user)(const wchar_t* user, const wchar_t* password, const wchar_t* group);
  // NetUserDel; 0 = success.
  uint32_t (*delete_user)(const wchar_t* user);
  // BCryptGenRandom(NULL, buffer, size, BCRYPT_USE_SYSTEM_PREFERRED_RNG):
  // the system CSPRNG (the temporary user's password). Returns the NTSTATUS
  // (0 = success).
  uint32_t (*random_bytes)(void* buffer, uint32_t size);
  // CreateEnvironmentBlock(token, bInherit=FALSE); release with
  // destroy_environment_block.
  int32_t (*create_environment_block)(void** block, void* token);
  int32_t (*destroy_environment_block)(void* block);

  // CreatePipe with an inheritable write end (the read end is not).
  int32_t (*create_pipe)(void** read, void** write);
  // CreatePipe for a child's stdin: the read end inheritable, the write
  // end not.
  int32_t (*create_input_pipe)(void** read, void** write);
  // WriteFile of all `size` bytes (a loop of partial writes): blocks while
  // the pipe is full; false with ERROR_NO_DATA or ERROR_BROKEN_PIPE once no
  // one reads it, ERROR_OPERATION_ABORTED after a cancel_io.
  int32_t (*write_file)(void* handle, const void* data, uint32_t size);
  // ReadFile; at the end of the stream false with ERROR_BROKEN_PIPE.
  int32_t (*read_file)(void* handle, void* buffer, uint32_t size, uint32_t* read);
  // CancelIoEx(handle, NULL): a read_file or write_file pending on `handle`
  // in another thread of this process fails with ERROR_OPERATION_ABORTED. False with
  // ERROR_NOT_FOUND when none is pending (a cancel issued before the read
  // starts is lost: callers repeat it until the reader has returned).
  int32_t (*cancel_io)(void* handle);
  int32_t (*create_process)(const LaunchSpec* spec, LaunchedProcess* out);
  // ConPTY (kernel32, Windows 10 1809 and later; resolved when first used).
  // CreatePseudoConsole({width, height}, input, output, 0, &console): the
  // console reads `input` and writes `output`, which it duplicates (the
  // caller then closes its copies). An HRESULT; kHrProcNotFound where
  // kernel32 has no ConPTY.
  int32_t (*create_pseudo_console)(uint16_t width, uint16_t height, void* input, void* output, void** console);
  // ResizePseudoConsole; an HRESULT. Only for a console not yet closed.
  int32_t (*resize_pseudo_console)(void* console, uint16_t width, uint16_t height);
  // ClosePseudoConsole: the console ends, the last of its output is
  // flushed and its output pipe breaks. Once per console.
  void (*close_pseudo_console)(void* console);
  // ResumeThread: the previous suspend count, 0xFFFFFFFF on failure.
  uint32_t (*resume_thread)(void* thread);
  int32_t (*terminate_process)(void* process, uint32_t exit_code);
  // Delivers console control `event` (kCtrl*) to `process` the way hcsshim's
  // signalProcess does: CreateRemoteThread(process, CtrlRoutine, event),
  // CtrlRoutine being kernel32's export, at the same address in every
  // process of a boot. The thread runs the process's control handlers, or
  // the default one, which ends it. A BOOL; ERROR_PROC_NOT_FOUND where
  // kernel32 lacks CtrlRoutine.
  int32_t (*send_ctrl_event)(void* process, uint32_t event);
  // WaitForSingleObject: kWaitObject0, kWaitTimeout or 0xFFFFFFFF.
  uint32_t (*wait_for_single_object)(void* handle, uint32_t milliseconds);
  int32_t (*get_exit_code_process)(void* process, uint32_t* exit_code);
};

}  // namespace silo::runtime::windows::hostprocess
