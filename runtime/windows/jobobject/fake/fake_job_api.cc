#include "runtime/windows/jobobject/fake/fake_job_api.h"

#include <atomic>
#include <cstdlib>
#include <cwctype>
#include <string>
#include <map>
#include <set>
#include <mutex>
#include <string_view>

namespace silo::runtime::windows::jobobject::fake {
namespace {

constexpr uint32_t kErrorFileNotFound = 2;
constexpr uint32_t kErrorAccessDenied = 5;
constexpr uint32_t kErrorInvalidParameter = 87;
constexpr uint32_t kErrorInvalidHandle = 6;
constexpr uint32_t kErrorBadPathname = 161;
constexpr uint32_t kErrorAlreadyExists = 183;
constexpr uint32_t kErrorMrMidNotFound = 317;

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

struct FakeJobApi::Impl {
  struct Job {
    // Added by the test (another program holds it): never goes away by itself.
    bool pinned = false;
    int processes = 0;
    int terminations = 0;
  };
  mutable std::mutex mu;
  std::map<std::wstring, Job> jobs;  // by object-manager path
  std::map<uintptr_t, std::wstring> handles;
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

  // Windows frees a job once no handle and no process holds it.
  void CollectIfUnused(const std::wstring& path) {
    auto job = jobs.find(path);
    if (job == jobs.end() || job->second.pinned || job->second.processes > 0) return;
    for (const auto& [h, p] : handles) {
      if (p == path) return;
    }
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

void* CreateJobObjectW(const wchar_t* name) {
  FakeJobApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  ++impl.creates;
  if (impl.failing_creates > 0) {
    --impl.failing_creates;
    t_last_error = impl.create_error;
    return nullptr;
  }
  if (name == nullptr || *name == L'\0') {
    // An anonymous job: its own path, never found by name.
    t_last_error = 0;
    const std::wstring path = L"\\anonymous\\" + std::to_wstring(impl.next_handle);
    impl.jobs[path];
    return impl.NewHandle(path);
  }
  std::wstring path;
  if (uint32_t err = Win32NamePath(name, &path); err != 0) {
    t_last_error = err;
    return nullptr;
  }
  const bool existed = impl.jobs.count(path) != 0;
  impl.jobs[path];
  t_last_error = existed ? kErrorAlreadyExists : 0;
  return impl.NewHandle(path);
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
}

FakeJobApi::~FakeJobApi() { g_impl.store(nullptr); }

void FakeJobApi::AddWin32Job(const std::wstring& name) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::wstring path;
  // A name CreateJobObjectW refuses is a test bug, except a path-like leaf,
  // which tests store to prove that no Win32 name reaches it.
  if (Win32NamePath(name, &path) != 0) path = std::wstring(kSessionObjects) + name;
  impl_->jobs[path].pinned = true;
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
  return static_cast<int>(impl_->jobs.size());
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
