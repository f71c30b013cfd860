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
constexpr uint32_t kErrorBadPathname = 161;
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
  mutable std::mutex mu;
  std::set<std::wstring> jobs;  // object-manager paths
  std::map<uintptr_t, std::wstring> handles;
  uintptr_t next_handle = 0x400;
  int bad_closes = 0;
  int win32_opens = 0;
  int nt_opens = 0;

  void* NewHandle(const std::wstring& path) {
    const uintptr_t h = next_handle;
    next_handle += 4;
    handles[h] = path;
    return reinterpret_cast<void*>(h);
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
      for (const std::wstring& j : impl.jobs) {
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
  if (impl.handles.erase(reinterpret_cast<uintptr_t>(handle)) == 0) {
    ++impl.bad_closes;
    t_last_error = 6;  // ERROR_INVALID_HANDLE
    return 0;
  }
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
}

FakeJobApi::~FakeJobApi() { g_impl.store(nullptr); }

void FakeJobApi::AddWin32Job(const std::wstring& name) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::wstring path;
  // A name CreateJobObjectW refuses is a test bug, except a path-like leaf,
  // which tests store to prove that no Win32 name reaches it.
  if (Win32NamePath(name, &path) != 0) path = std::wstring(kSessionObjects) + name;
  impl_->jobs.insert(path);
}

void FakeJobApi::AddSiloJob(const std::wstring& container_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->jobs.insert(L"\\Container_" + container_id);
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
