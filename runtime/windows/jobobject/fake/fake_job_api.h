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
// while a handle to them is open or a process is in them (AddProcess), so a
// job whose last handle closes with no process in it is gone; a second
// create of a live name opens it (ERROR_ALREADY_EXISTS), and
// TerminateJobObject ends its processes. Jobs added by the test are held by
// "another program" and never go away by themselves.
// The table holds plain function pointers, so at most one
// FakeJobApi may be alive per process (checked). Thread-safe.

#include <memory>
#include <string>

#include "runtime/windows/jobobject/api.h"

namespace silo::runtime::windows::jobobject::fake {

class FakeJobApi {
 public:
  FakeJobApi();
  ~FakeJobApi();
  FakeJobApi(const FakeJobApi&) = delete;
  FakeJobApi& operator=(const FakeJobApi&) = delete;

  const JobApi& api() const { return api_; }

  // A job created by CreateJobObjectW(name).
  void AddWin32Job(const std::wstring& name);
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
  int jobs() const;                                  // live job objects of any kind
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
