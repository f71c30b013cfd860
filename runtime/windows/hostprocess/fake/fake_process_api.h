#pragma once
// FakeProcessApi: the host a HostProcess container runs on, in memory, behind
// a ProcessApi table, for the Linux tests of HostProcessContainerHost.
// Strict where Windows is: a handle the fake did not give out, one already
// closed, or one of the wrong kind (a thread to AssignProcessToJobObject) is
// refused with ERROR_INVALID_HANDLE, and every close of such a handle is
// counted (bad_closes). Jobs live while a handle or a live process holds
// them; KILL_ON_JOB_CLOSE ends the processes when the last handle closes.
// Processes are born suspended (the host never asks otherwise) in the job
// their PROC_THREAD_ATTRIBUTE_JOB_LIST names (there is no assign after the
// create: a process is in its job from birth), run their
// program when resumed: write its output to the pipes given as stdio, then
// exit with its code or keep running until terminated. A pipe read blocks
// until data, the end of the stream, or a CancelIoEx of that handle from
// another thread (ERROR_OPERATION_ABORTED; ERROR_NOT_FOUND when no read is
// pending, as Windows answers). A pipe reports
// ERROR_BROKEN_PIPE once its data is read and no write handle and no live
// process holds its write end. LogonUserW knows the three service accounts
// (service logon only) and the temporary users made through NetUserAdd.
// Pseudo consoles (ConPTY) take a pipe read end and a pipe write end and
// hold both pipes until closed (ClosePseudoConsole: the output pipe then
// breaks); a process created on one has no std handles, writes its output
// (stdout and stderr alike) to the console's output and reads the console's
// input. The last write handle of an open console's input closing ends the
// processes on it with STATUS_CONTROL_C_EXIT (conhost's CTRL_CLOSE; an
// echoing program first reads the end of its stdin and exits with its
// code). A console handle is not a kernel handle: CloseHandle of it is a bad
// close, and a resize, a close or a process attribute of a closed console is
// refused (E_HANDLE / ERROR_INVALID_HANDLE), where Windows would use freed
// memory.
// A control event (CreateRemoteThread of CtrlRoutine) needs a live process
// handle (ERROR_ACCESS_DENIED once it has exited) and one of the five
// events (ERROR_INVALID_PARAMETER); the program then exits or ignores it.
// BCryptGenRandom counts: call n fills byte i from n and i (a fixed mix), so
// tests can predict what it gave.
// Every call is recorded by name, in order (calls()).
// Handles belong to the simulated process that opened them: api() is silod's
// (process 0), api_for(n) another's (a silo-shim.exe); a handle used or
// closed through another process's table is ERROR_INVALID_HANDLE (a close
// of it is a bad close). ReapHolder(n) is that process dying: Windows
// closes its handles, so a kill-on-close job whose last handle it held
// ends, and its blocked pipe reads return.
// The table holds plain function pointers: at most one FakeProcessApi is
// alive per process (checked). Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "runtime/windows/hostprocess/process_api.h"

namespace silo::runtime::windows::hostprocess::fake {

struct FakeProgram {
  std::string stdout_data;
  std::string stderr_data;
  std::optional<uint32_t> exit_code;  // nullopt: runs until terminated
  // The code it exits with on a console control event once running (its
  // handler, or the default one); nullopt: a handler that ignores it.
  std::optional<uint32_t> exit_on_ctrl_event = std::nullopt;
  // Once resumed it starts a background child in its job that inherits its
  // stdio and the same control handler and runs until terminated or its
  // handler ends it: the output pipes do not break when the program itself
  // exits, and its stdin is held but never read.
  bool child_holds_output = false;
  // It copies its stdin to its stdout as it arrives and exits with
  // exit_code at the end of its stdin (a `cat`). A program that does not
  // echo never reads its stdin: writes to it block once 64 KiB wait.
  bool echo_stdin = false;
};

struct FakeLaunch {
  std::string command_line;
  std::vector<std::string> environment;
  std::string working_directory;
  std::string user;  // the token's account; "" for silod's own
  std::string job;   // the job it was born in, "" if none
  bool in_silods_job = false;  // also in the job silod runs in (no breakaway)
  bool new_process_group = false;  // CREATE_NEW_PROCESS_GROUP
  // Attached to a pseudo console: its size at creation (width, height).
  std::optional<std::pair<uint16_t, uint16_t>> console;
};

class FakeProcessApi {
 public:
  FakeProcessApi();
  ~FakeProcessApi();
  FakeProcessApi(const FakeProcessApi&) = delete;
  FakeProcessApi& operator=(const FakeProcessApi&) = delete;

  const ProcessApi& api() const { return api_; }
  // The table of simulated process `holder`, 1 <= holder < kMaxHolders.
  static constexpr int kMaxHolders = 8;
  const ProcessApi& api_for(int holder) const;
  // Process `holder` died: its handles are closed as Windows closes them.
  // Returns how many.
  int ReapHolder(int holder);
  int HandlesOf(int holder) const;
  // The first running process of `job` writes `data` to its stdout (a
  // program that keeps logging); false when none runs.
  bool EmitStdout(const std::string& job, const std::string& data);

  // The first process of `job` exits (code 1) and Windows gives its pid to
  // a new process outside any job, running `executable`'s program; returns
  // the pid, 0 when the job has no process or the program is unknown.
  uint32_t ReuseAPidOf(const std::string& job, const std::string& executable);
  // The live process `pid` exits with code 1; false if none.
  bool EndProcess(uint32_t pid);

  // The program a command line runs, by its first word (the executable).
  void SetProgram(const std::string& executable, FakeProgram program);
  void SetBindFilter(bool available);
  // silod runs in a job (a service host's, a debugger's): a process created
  // without CREATE_BREAKAWAY_FROM_JOB lands in it too, and one created with
  // it fails with ERROR_ACCESS_DENIED unless that job allows breakaway.
  void RunSilodInAJob(bool allows_breakaway);
  // The next call named `call` (as in calls()) fails with Win32 `error`.
  void FailNext(const std::string& call, uint32_t error);
  // The next call named `call` parks before doing anything until
  // ResumePaused (a caller caught half way, for races). Honoured by
  // CreatePipe, QueryInformationJobObject(JobObjectBasicProcessIdList)
  // and OpenProcess only. AwaitPaused blocks until a caller is parked.
  void PauseNext(const std::string& call);
  void AwaitPaused();
  void ResumePaused();
  // What the next JobObjectBasicAndIoAccountingInformation query of `job` returns.
  void SetAccounting(const std::string& job, const JobAccountingSpec& accounting);
  // Takes a handle to `job` as another program would (it keeps the job alive).
  void HoldJob(const std::string& job);
  // A job of that name made and held by another program, owned by `owner`
  // (a user's SID): a squatter when it has the name of one of silod's.
  void AddForeignJob(const std::string& job,
                     const std::wstring& owner = L"S-1-5-21-3623811015-3361044348-30300820-1013");
  void ReleaseJob(const std::string& job);

  std::vector<std::string> calls() const;
  std::vector<FakeLaunch> launches() const;
  // The control events CtrlRoutine threads delivered, in order, by pid.
  std::vector<std::pair<uint32_t, uint32_t>> CtrlEvents() const;
  bool JobExists(const std::string& job) const;
  std::optional<JobLimitsSpec> Limits(const std::string& job) const;
  bool IsSilo(const std::string& job) const;
  // The SDDL `job` was created with ("" for the default security) and its owner SID.
  std::wstring JobSddl(const std::string& job) const;
  std::wstring JobOwner(const std::string& job) const;
  std::map<std::string, std::string> Binds(const std::string& job) const;  // target -> source
  std::map<std::string, std::string> Links() const;                        // link -> target
  std::vector<std::string> Users() const;                                  // temporary users
  // The password NetUserAdd was given for `user`; "" for none.
  std::string Password(const std::string& user) const;
  // Each BCryptGenRandom answer, in order: deterministic, and different on
  // every call.
  std::vector<std::vector<uint8_t>> RandomDraws() const;
  int LiveProcesses() const;
  // Every size a pseudo console had (creation, then each resize), by
  // console in creation order; and the ones not yet closed.
  std::vector<std::vector<std::pair<uint16_t, uint16_t>>> ConsoleSizes() const;
  int open_consoles() const;
  int open_handles() const;
  int bad_closes() const;
  int environment_blocks() const;  // not yet destroyed

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  ProcessApi api_{};
  ProcessApi holder_apis_[kMaxHolders]{};  // [0] unused: api() is process 0
};

}  // namespace silo::runtime::windows::hostprocess::fake
