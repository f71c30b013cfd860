#pragma once
// FakeJobApi: an in-memory object namespace behind a JobApi table, for the
// Linux tests of open_job.h. It models which call can reach which name, as
// Windows does:
//   - a Win32 job ("silo-pod-x") lives at \Sessions\1\BaseNamedObjects\<name>
//     (the caller is taken to run in session 1): OpenJobObjectW finds it by
//     its name, NtOpenJobObject by that path. "Local\x" is the same,
//     "Global\x" and "Session\0\x" are \BaseNamedObjects\x, "Session\<n>\x"
//     \Sessions\<n>\BaseNamedObjects\x; Win32 names match case-sensitively;
//   - an HCS silo job lives at \Container_<id>: only NtOpenJobObject reaches
//     it. OpenJobObjectW refuses any other name with a backslash (and a
//     malformed Session\ prefix) with ERROR_BAD_PATHNAME, as Wine does and
//     as the BaseNamedObjects lookup implies.
// Strict: NtOpenJobObject checks the OBJECT_ATTRIBUTES (size, no root
// directory, a UNICODE_STRING whose byte lengths match its buffer, only
// OBJ_VALID_ATTRIBUTES flags; OBJ_CASE_INSENSITIVE folds case, and without
// it the path matches exactly: the kernel's ObCaseInsensitive default,
// which folds case for every lookup, is not modelled), both opens refuse a
// zero access mask, and CloseHandle of
// a handle the fake did not give out (or gave out and saw closed) fails and
// is counted. Jobs made through CreateJobObjectW live as Windows keeps them:
// while a handle to them is open or a process is in them (AddProcess). Their
// NAME lives only while a handle is open, in the caller or in another
// process (StartProcess, a handle given by DuplicateHandle): after the last
// handle closes, a job with processes in it lives on nameless, out of reach
// of every open and create by name (OrphanedProcesses counts what is in
// such jobs), and one without is gone. A second create of a live name opens
// it (ERROR_ALREADY_EXISTS), and TerminateJobObject ends its processes.
// Every job has an owner SID: from the "O:" of the SDDL it was created with
// (BA or SY; another is ERROR_INVALID_OWNER, no "D:" ERROR_INVALID_PARAMETER),
// LocalSystem (the caller) without one. Jobs added by the test are held by
// "another program" and never go away by themselves.
// The table holds plain function pointers, so at most one
// FakeJobApi may be alive per process (checked). Thread-safe.

#include <memory>
#include <string>

#include "runtime/windows/jobobject/api.h"

namespace silo::runtime::windows::jobobject::fake {

// The owner SID a job created by silod (LocalSystem) with `sddl` gets, or
// the Win32 error CreateJobObjectW fails with: a null `sddl` or one without
// "O:" gives the caller (LocalSystem), "O:BA" Administrators, "O:SY"
// LocalSystem, any other owner ERROR_INVALID_OWNER; no "D:" is
// ERROR_INVALID_PARAMETER. Shared with the other fakes that create jobs.
uint32_t OwnerFromSddl(const wchar_t* sddl, std::wstring* owner);

class FakeJobApi {
 public:
  FakeJobApi();
  ~FakeJobApi();
  FakeJobApi(const FakeJobApi&) = delete;
  FakeJobApi& operator=(const FakeJobApi&) = delete;

  const JobApi& api() const { return api_; }

  // A job created by CreateJobObjectW(name) in another program, owned by
  // `owner` (a user's SID unless given): a squatter when named like ours.
  void AddWin32Job(const std::wstring& name, const std::wstring& owner = kUserSid);
  static constexpr const wchar_t* kUserSid = L"S-1-5-21-3623811015-3361044348-30300820-1013";
  // The job HCS creates for container `id` (\Container_<id>).
  void AddSiloJob(const std::wstring& container_id);
  void RemoveJob(const std::wstring& object_path);
  // A process joins the Win32 job `name` (it then keeps the job alive); false
  // when there is no such job.
  bool AddProcess(const std::wstring& name);
  // The next `times` CreateJobObjectW calls fail with Win32 `error`.
  void FailCreates(uint32_t error, int times = 1);

  bool Win32JobExists(const std::wstring& name) const;
  int Processes(const std::wstring& name) const;     // of the Win32 job `name`
  int Terminations(const std::wstring& name) const;  // TerminateJobObject calls on it
  int jobs() const;                                  // live job objects of any kind, nameless too
  int OrphanedProcesses() const;                     // processes in nameless jobs
  std::wstring Sddl(const std::wstring& name) const;  // what the job was created with

  // Another process (e.g. a container monitor): a handle to it for
  // duplicate_job_handle. EndProcess closes every handle it holds.
  void* StartProcess();
  void EndProcess(void* process);
  int HandlesIn(void* process) const;
  int creates() const;                               // CreateJobObjectW calls

  int open_handles() const;
  int bad_closes() const;
  int win32_opens() const;  // OpenJobObjectW calls
  int nt_opens() const;     // NtOpenJobObject calls

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  JobApi api_{};
};

}  // namespace silo::runtime::windows::jobobject::fake
