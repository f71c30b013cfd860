#include "runtime/windows/jobobject/fake/fake_job_api.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cwctype>
#include <string>
#include <map>
#include <set>
#include <mutex>
#include <string_view>
#include <vector>

namespace silo::runtime::windows::jobobject::fake {
namespace {

constexpr uint32_t kErrorFileNotFound = 2;
constexpr uint32_t kErrorAccessDenied = 5;
constexpr uint32_t kErrorInvalidParameter = 87;
constexpr uint32_t kErrorInvalidHandle = 6;
constexpr uint32_t kErrorBadPathname = 161;
constexpr uint32_t kErrorAlreadyExists = 183;
constexpr uint32_t kErrorMrMidNotFound = 317;
constexpr uint32_t kErrorInsufficientBuffer = 122;
constexpr uint32_t kErrorInvalidOwner = 1307;

constexpr int32_t kStatusInvalidParameter = static_cast<int32_t>(0xC000000D);
constexpr int32_t kStatusAccessDenied = static_cast<int32_t>(0xC0000022);
constexpr int32_t kStatusObjectNameNotFound = static_cast<int32_t>(0xC0000034);
constexpr int32_t kStatusObjectPathSyntaxBad = static_cast<int32_t>(0xC000003B);

constexpr std::wstring_view kSessionObjects = L"\\Sessions\\1\\BaseNamedObjects\\";  // the caller's session
constexpr std::wstring_view kGlobalObjects = L"\\BaseNamedObjects\\";

// OBJ_VALID_ATTRIBUTES: OBJ_INHERIT through OBJ_DONT_REPARSE.
constexpr uint32_t kObjValidAttributes = 0x1FF2;
constexpr uint32_t kObjCaseInsensitive = 0x40;

thread_local uint32_t t_last_error = 0;

}  // namespace

// The caller (silod, as LocalSystem) may name Administrators or itself; no
// D: part is a descriptor ConvertStringSecurityDescriptor would not build.
uint32_t OwnerFromSddl(const wchar_t* sddl, std::wstring* owner) {
  if (sddl == nullptr) {
    *owner = kLocalSystemSid;  // the caller's default owner
    return 0;
  }
  const std::wstring text(sddl);
  if (text.find(L"D:") == std::wstring::npos) return kErrorInvalidParameter;
  if (text.rfind(L"O:", 0) != 0) {
    *owner = kLocalSystemSid;
    return 0;
  }
  const std::wstring alias = text.substr(2, 2);
  if (alias == L"BA") {
    *owner = kAdministratorsSid;
  } else if (alias == L"SY") {
    *owner = kLocalSystemSid;
  } else {
    return kErrorInvalidOwner;
  }
  return 0;
}

struct FakeJobApi::Impl {
  struct Job {
    // Added by the test (another program holds it): never goes away by itself.
    bool pinned = false;
    int processes = 0;
    int terminations = 0;
    std::wstring owner;
    std::wstring sddl;  // as created; empty for default security
  };
  mutable std::mutex mu;
  std::map<std::wstring, Job> jobs;  // named (reachable) jobs by object-manager path
  std::vector<Job> nameless;         // alive through their processes only
  std::map<uintptr_t, std::wstring> handles;  // the caller's
  // Other processes (DuplicateHandle targets): their handles to jobs.
  std::map<uintptr_t, std::vector<std::wstring>> processes_handles;
  uintptr_t next_process = 0x7000;
  uintptr_t next_handle = 0x400;
  int bad_closes = 0;
  int win32_opens = 0;
  int nt_opens = 0;
  int creates = 0;
  int failing_creates = 0;
  uint32_t create_error = 0;

  void* NewHandle(const std::wstring& path) {
    const uintptr_t h = next_handle;
    next_handle += 4;
    handles[h] = path;
    return reinterpret_cast<void*>(h);
  }

  // Once no handle to a job is open anywhere, its name is gone (the object
  // manager deletes the name with the last handle); the job itself lives
  // on, nameless, while a process is in it.
  void CollectIfUnused(const std::wstring& path) {
    auto job = jobs.find(path);
    if (job == jobs.end() || job->second.pinned) return;
    for (const auto& [h, p] : handles) {
      if (p == path) return;
    }
    for (const auto& [proc, held] : processes_handles) {
      if (std::find(held.begin(), held.end(), path) != held.end()) return;
    }
    if (job->second.processes > 0) nameless.push_back(job->second);
    jobs.erase(job);
  }
};

namespace {

std::atomic<FakeJobApi::Impl*> g_impl{nullptr};

FakeJobApi::Impl& I() {
  FakeJobApi::Impl* impl = g_impl.load();
  if (impl == nullptr) std::abort();  // a table call after the fake died
  return *impl;
}

// The object-manager path of a Win32 name, or 0 and ERROR_BAD_PATHNAME for a
// name that is a path: Global\ is \BaseNamedObjects, Local\ and no prefix
// the caller's session (1), Session\<n>\ session n's (0 is the global one).
uint32_t Win32NamePath(std::wstring_view name, std::wstring* path) {
  std::wstring dir(kSessionObjects);
  if (name.substr(0, 7) == L"Global\\") {
    dir = kGlobalObjects;
    name.remove_prefix(7);
  } else if (name.substr(0, 6) == L"Local\\") {
    name.remove_prefix(6);
  } else if (name.substr(0, 8) == L"Session\\") {
    name.remove_prefix(8);
    const size_t slash = name.find(L'\\');
    const std::wstring_view session = name.substr(0, slash);
    if (slash == std::wstring_view::npos || session.empty() || session.size() > 5 ||
        session.find_first_not_of(L"0123456789") != std::wstring_view::npos) {
      return kErrorBadPathname;
    }
    const unsigned long n = std::wcstoul(std::wstring(session).c_str(), nullptr, 10);
    dir = n == 0 ? std::wstring(kGlobalObjects) : L"\\Sessions\\" + std::to_wstring(n) + L"\\BaseNamedObjects\\";
    name.remove_prefix(slash + 1);
  }
  if (name.empty() || name.find(L'\\') != std::wstring_view::npos) return kErrorBadPathname;
  *path = dir + std::wstring(name);
  return 0;
}

bool SameFolded(const std::wstring& a, const std::wstring& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::towlower(static_cast<wint_t>(a[i])) != std::towlower(static_cast<wint_t>(b[i]))) return false;
  }
  return true;
}

void* OpenJobObjectW(uint32_t access, int32_t inherit, const wchar_t* name) {
  FakeJobApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  ++impl.win32_opens;
  if (access == 0) {
    t_last_error = kErrorAccessDenied;
    return nullptr;
  }
  if (name == nullptr || *name == L'\0') {
    t_last_error = kErrorInvalidParameter;
    return nullptr;
  }
  std::wstring path;
  if (uint32_t err = Win32NamePath(name, &path); err != 0) {
    t_last_error = err;
    return nullptr;
  }
  if (impl.jobs.count(path) == 0) {  // Win32 object names are case-sensitive
    t_last_error = kErrorFileNotFound;
    return nullptr;
  }
  return impl.NewHandle(path);
}

void* CreateJobObjectW(const wchar_t* name, const wchar_t* sddl) {
  FakeJobApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  ++impl.creates;
  if (impl.failing_creates > 0) {
    --impl.failing_creates;
    t_last_error = impl.create_error;
    return nullptr;
  }
  std::wstring owner;
  if (uint32_t err = OwnerFromSddl(sddl, &owner); err != 0) {
    t_last_error = err;
    return nullptr;
  }
  if (name == nullptr || *name == L'\0') {
    // An anonymous job: its own path, never found by name.
    t_last_error = 0;
    const std::wstring path = L"\\anonymous\\" + std::to_wstring(impl.next_handle);
    impl.jobs[path].owner = owner;
    return impl.NewHandle(path);
  }
  std::wstring path;
  if (uint32_t err = Win32NamePath(name, &path); err != 0) {
    t_last_error = err;
    return nullptr;
  }
  const bool existed = impl.jobs.count(path) != 0;
  if (!existed) {
    FakeJobApi::Impl::Job& job = impl.jobs[path];
    job.owner = owner;
    job.sddl = sddl == nullptr ? L"" : sddl;
  }
  t_last_error = existed ? kErrorAlreadyExists : 0;
  return impl.NewHandle(path);
}

uint32_t GetJobOwner(void* job, wchar_t* sid, uint32_t capacity) {
  FakeJobApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  auto h = impl.handles.find(reinterpret_cast<uintptr_t>(job));
  if (h == impl.handles.end() || impl.jobs.count(h->second) == 0) return kErrorInvalidHandle;
  const std::wstring& owner = impl.jobs[h->second].owner;
  if (sid == nullptr || owner.size() + 1 > capacity) return kErrorInsufficientBuffer;
  std::copy(owner.begin(), owner.end(), sid);
  sid[owner.size()] = L'\0';
  return 0;
}

int32_t DuplicateJobHandle(void* job, void* target, uint32_t, void** out) {
  FakeJobApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  auto h = impl.handles.find(reinterpret_cast<uintptr_t>(job));
  auto proc = impl.processes_handles.find(reinterpret_cast<uintptr_t>(target));
  if (h == impl.handles.end() || proc == impl.processes_handles.end() || out == nullptr) {
    t_last_error = kErrorInvalidHandle;
    return 0;
  }
  proc->second.push_back(h->second);
  // A value valid in the target only: never a handle of the caller's.
  *out = reinterpret_cast<void*>(static_cast<uintptr_t>(0x10000 + proc->second.size() * 4));
  return 1;
}

int32_t TerminateJobObject(void* job, uint32_t) {
  FakeJobApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  auto h = impl.handles.find(reinterpret_cast<uintptr_t>(job));
  if (h == impl.handles.end()) {
    t_last_error = kErrorInvalidHandle;
    return 0;
  }
  auto it = impl.jobs.find(h->second);
  if (it == impl.jobs.end()) {
    t_last_error = kErrorInvalidHandle;
    return 0;
  }
  it->second.processes = 0;
  ++it->second.terminations;
  return 1;
}

uint32_t GetLastError() { return t_last_error; }

int32_t NtOpenJobObject(void** job, uint32_t access, const NtObjectAttributes* oa) {
  FakeJobApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  ++impl.nt_opens;
  if (job == nullptr || oa == nullptr || oa->length != sizeof(NtObjectAttributes) || oa->object_name == nullptr ||
      oa->root_directory != nullptr || (oa->attributes & ~kObjValidAttributes) != 0 ||
      oa->security_descriptor != nullptr ||
      oa->security_quality_of_service != nullptr) {
    return kStatusInvalidParameter;
  }
  const NtUnicodeString& us = *oa->object_name;
  if (us.buffer == nullptr || us.length % sizeof(wchar_t) != 0 || us.length > us.maximum_length) {
    return kStatusInvalidParameter;
  }
  const std::wstring path(us.buffer, us.length / sizeof(wchar_t));
  // The lengths must describe the buffer: a length short of the string would
  // name another object.
  if (path.find(L'\0') != std::wstring::npos) return kStatusInvalidParameter;
  if (access == 0) return kStatusAccessDenied;
  if (path.empty() || path.front() != L'\\') return kStatusObjectPathSyntaxBad;
  std::wstring found = path;
  if (impl.jobs.count(path) == 0) {
    bool any = false;
    if (oa->attributes & kObjCaseInsensitive) {
      for (const auto& [j, job] : impl.jobs) {
        if (SameFolded(j, path)) {
          found = j;
          any = true;
          break;
        }
      }
    }
    if (!any) return kStatusObjectNameNotFound;
  }
  *job = impl.NewHandle(found);
  return 0;
}

uint32_t RtlNtStatusToDosError(int32_t status) {
  switch (status) {
    case 0: return 0;
    case kStatusInvalidParameter: return kErrorInvalidParameter;
    case kStatusAccessDenied: return kErrorAccessDenied;
    case kStatusObjectNameNotFound: return kErrorFileNotFound;
    case kStatusObjectPathSyntaxBad: return kErrorBadPathname;
    default: return kErrorMrMidNotFound;  // what ntdll answers for an unmapped status
  }
}

int32_t CloseHandle(void* handle) {
  FakeJobApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  auto h = impl.handles.find(reinterpret_cast<uintptr_t>(handle));
  if (h == impl.handles.end()) {
    ++impl.bad_closes;
    t_last_error = kErrorInvalidHandle;
    return 0;
  }
  const std::wstring path = h->second;
  impl.handles.erase(h);
  impl.CollectIfUnused(path);
  return 1;
}

}  // namespace

FakeJobApi::FakeJobApi() : impl_(std::make_unique<Impl>()) {
  Impl* expected = nullptr;
  if (!g_impl.compare_exchange_strong(expected, impl_.get())) std::abort();  // one fake at a time
  api_.open_job_object = &OpenJobObjectW;
  api_.get_last_error = &GetLastError;
  api_.nt_open_job_object = &NtOpenJobObject;
  api_.rtl_nt_status_to_dos_error = &RtlNtStatusToDosError;
  api_.close_handle = &CloseHandle;
  api_.create_job_object = &CreateJobObjectW;
  api_.terminate_job_object = &TerminateJobObject;
  api_.get_job_owner = &GetJobOwner;
  api_.duplicate_job_handle = &DuplicateJobHandle;
}

FakeJobApi::~FakeJobApi() { g_impl.store(nullptr); }

void FakeJobApi::AddWin32Job(const std::wstring& name, const std::wstring& owner) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::wstring path;
  // A name CreateJobObjectW refuses is a test bug, except a path-like leaf,
  // which tests store to prove that no Win32 name reaches it.
  if (Win32NamePath(name, &path) != 0) path = std::wstring(kSessionObjects) + name;
  impl_->jobs[path].pinned = true;
  impl_->jobs[path].owner = owner;
}

void FakeJobApi::AddSiloJob(const std::wstring& container_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->jobs[L"\\Container_" + container_id].pinned = true;
}

namespace {

// The job behind a Win32 name, or null.
FakeJobApi::Impl::Job* Win32Job(FakeJobApi::Impl& impl, const std::wstring& name) {
  std::wstring path;
  if (Win32NamePath(name, &path) != 0) return nullptr;
  auto it = impl.jobs.find(path);
  return it == impl.jobs.end() ? nullptr : &it->second;
}

}  // namespace

bool FakeJobApi::AddProcess(const std::wstring& name) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl::Job* job = Win32Job(*impl_, name);
  if (job == nullptr) return false;
  ++job->processes;
  return true;
}

bool FakeJobApi::Win32JobExists(const std::wstring& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return Win32Job(*impl_, name) != nullptr;
}

int FakeJobApi::Processes(const std::wstring& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const Impl::Job* job = Win32Job(*impl_, name);
  return job == nullptr ? 0 : job->processes;
}

int FakeJobApi::Terminations(const std::wstring& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const Impl::Job* job = Win32Job(*impl_, name);
  return job == nullptr ? 0 : job->terminations;
}

int FakeJobApi::jobs() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return static_cast<int>(impl_->jobs.size() + impl_->nameless.size());
}

int FakeJobApi::OrphanedProcesses() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int n = 0;
  for (const Impl::Job& job : impl_->nameless) n += job.processes;
  return n;
}

std::wstring FakeJobApi::Sddl(const std::wstring& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const Impl::Job* job = Win32Job(*impl_, name);
  return job == nullptr ? L"" : job->sddl;
}

void* FakeJobApi::StartProcess() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const uintptr_t p = impl_->next_process;
  impl_->next_process += 4;
  impl_->processes_handles[p];
  return reinterpret_cast<void*>(p);
}

void FakeJobApi::EndProcess(void* process) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->processes_handles.find(reinterpret_cast<uintptr_t>(process));
  if (it == impl_->processes_handles.end()) std::abort();  // a test bug
  const std::vector<std::wstring> held = std::move(it->second);
  impl_->processes_handles.erase(it);
  for (const std::wstring& path : held) impl_->CollectIfUnused(path);
}

int FakeJobApi::HandlesIn(void* process) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->processes_handles.find(reinterpret_cast<uintptr_t>(process));
  return it == impl_->processes_handles.end() ? 0 : static_cast<int>(it->second.size());
}

void FakeJobApi::FailCreates(uint32_t error, int times) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->failing_creates = times;
  impl_->create_error = error;
}

int FakeJobApi::creates() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->creates;
}

void FakeJobApi::RemoveJob(const std::wstring& object_path) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->jobs.erase(object_path);
}

int FakeJobApi::open_handles() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return static_cast<int>(impl_->handles.size());
}

int FakeJobApi::bad_closes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->bad_closes;
}

int FakeJobApi::win32_opens() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->win32_opens;
}

int FakeJobApi::nt_opens() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->nt_opens;
}

}  // namespace silo::runtime::windows::jobobject::fake
