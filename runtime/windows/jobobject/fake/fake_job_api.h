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
// is counted. The table holds plain function pointers, so at most one
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
