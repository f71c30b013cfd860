#include "runtime/windows/host_path/fake/fake_host_path_api.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <cwctype>
#include <map>
#include <mutex>
#include <set>

namespace silo::runtime::windows::host_path::fake {
namespace {

constexpr int kMaxLinkHops = 63;
constexpr uint32_t kErrorCantResolveFilename = 1921;

std::wstring Lower(std::wstring s) {
  for (wchar_t& c : s) c = static_cast<wchar_t>(std::towlower(static_cast<wint_t>(c)));
  return s;
}

bool IsUnc(const std::wstring& p) { return p.size() > 2 && p[0] == L'\\' && p[1] == L'\\' && p[2] != L'?'; }

bool IsDriveAbsolute(const std::wstring& p) {
  return p.size() >= 3 && std::iswalpha(static_cast<wint_t>(p[0])) && p[1] == L':' && p[2] == L'\\';
}

// "\\?\C:\x" -> "C:\x"; other forms unchanged but for forward slashes,
// which Win32 turns into backslashes outside the verbatim \\?\ form.
std::wstring StripVerbatim(const std::wstring& p) {
  if (p.compare(0, 4, L"\\\\?\\") == 0 && IsDriveAbsolute(p.substr(4))) return p.substr(4);
  std::wstring out = p;
  for (wchar_t& c : out) {
    if (c == L'/') c = L'\\';
  }
  return out;
}

std::wstring TrimSlash(std::wstring p) {
  while (p.size() > 3 && p.back() == L'\\') p.pop_back();
  return p;
}

}  // namespace

struct FakeHostPathApi::Impl {
  mutable std::mutex mu;
  std::map<std::wstring, std::wstring> volumes;  // "c:" -> "{GUID}"
  std::map<std::wstring, std::wstring> paths;    // lower -> as created
  std::map<std::wstring, std::wstring> links;    // lower link -> target
  std::set<std::wstring> shares;                 // lower "\\srv\share"
  std::map<uintptr_t, std::wstring> handles;     // -> final path (as created)
  uintptr_t next_handle = 0x800;
  int bad_closes = 0;
  int opens = 0;
  int directories_created = 0;

  // Follows links in `path` (any prefix); 0 or the Win32 error.
  uint32_t Follow(std::wstring path, std::wstring* out) const {
    for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
      const std::wstring lower = Lower(path);
      bool followed = false;
      for (const auto& [link, target] : links) {
        if (lower.compare(0, link.size(), link) == 0 && (lower.size() == link.size() || lower[link.size()] == L'\\')) {
          path = target + path.substr(link.size());
          followed = true;
          break;
        }
      }
      if (!followed) {
        *out = path;
        return 0;
      }
    }
    return kErrorCantResolveFilename;
  }

  bool Exists(const std::wstring& path) const {
    const std::wstring lower = Lower(path);
    if (paths.count(lower) != 0) return true;
    for (const auto& [p, unused] : paths) {  // an implied parent directory
      if (p.size() > lower.size() && p.compare(0, lower.size(), lower) == 0 && p[lower.size()] == L'\\') return true;
    }
    for (const std::wstring& s : shares) {
      if (lower == s) return true;
    }
    return volumes.count(lower.substr(0, 2)) != 0 && lower.size() == 3;  // a volume root "c:\"
  }

  const std::wstring* Created(const std::wstring& path) const {
    auto it = paths.find(Lower(path));
    return it == paths.end() ? nullptr : &it->second;
  }
};

namespace {

std::atomic<FakeHostPathApi::Impl*> g_impl{nullptr};

FakeHostPathApi::Impl& I() {
  FakeHostPathApi::Impl* impl = g_impl.load();
  if (impl == nullptr) std::abort();  // a table call after the fake died
  return *impl;
}

uint32_t OpenExisting(const wchar_t* raw, void** handle) {
  FakeHostPathApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  ++impl.opens;
  if (raw == nullptr || handle == nullptr) return kErrorInvalidParameter;
  const std::wstring path = TrimSlash(StripVerbatim(raw));
  if (!IsDriveAbsolute(path) && !IsUnc(path)) return kErrorInvalidName;
  std::wstring final_path;
  if (uint32_t err = impl.Follow(path, &final_path); err != 0) return err;
  if (!impl.Exists(final_path)) {
    const std::wstring parent = final_path.substr(0, final_path.rfind(L'\\'));
    return impl.Exists(parent.size() == 2 ? parent + L"\\" : parent) ? kErrorFileNotFound : kErrorPathNotFound;
  }
  if (const std::wstring* created = impl.Created(final_path)) final_path = *created;
  const uintptr_t h = impl.next_handle;
  impl.next_handle += 4;
  impl.handles[h] = final_path;
  *handle = reinterpret_cast<void*>(h);
  return 0;
}

uint32_t FinalPathName(void* handle, wchar_t* buffer, uint32_t capacity, uint32_t flags, uint32_t* error) {
  FakeHostPathApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  auto it = impl.handles.find(reinterpret_cast<uintptr_t>(handle));
  if (it == impl.handles.end()) {
    *error = kErrorInvalidHandle;
    return 0;
  }
  // FILE_NAME_NORMALIZED (0) answers as FILE_NAME_OPENED: the fake has no
  // short (8.3) names to expand.
  if ((flags & ~kFileNameOpened) != kVolumeNameGuid && (flags & ~kFileNameOpened) != kVolumeNameDos) {
    *error = kErrorInvalidParameter;
    return 0;
  }
  const std::wstring& p = it->second;
  std::wstring name;
  if (IsUnc(p)) {
    if (flags & kVolumeNameGuid) {
      *error = kErrorPathNotFound;
      return 0;
    }
    name = L"\\\\?\\UNC\\" + p.substr(2);
  } else if (flags & kVolumeNameGuid) {
    name = L"\\\\?\\Volume" + impl.volumes.at(Lower(p.substr(0, 2))) + p.substr(2);
  } else {
    name = L"\\\\?\\" + p;
  }
  if (buffer == nullptr || capacity < name.size() + 1) return static_cast<uint32_t>(name.size() + 1);
  std::memcpy(buffer, name.c_str(), (name.size() + 1) * sizeof(wchar_t));
  return static_cast<uint32_t>(name.size());
}

uint32_t CreateDirectory(const wchar_t* raw) {
  FakeHostPathApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  if (raw == nullptr) return kErrorInvalidParameter;
  const std::wstring path = TrimSlash(StripVerbatim(raw));
  if (!IsDriveAbsolute(path) && !IsUnc(path)) return kErrorInvalidName;
  std::wstring final_path;
  if (uint32_t err = impl.Follow(path, &final_path); err != 0) return err;
  if (impl.Exists(final_path)) return kErrorAlreadyExists;
  const size_t slash = final_path.rfind(L'\\');
  if (IsUnc(final_path) && final_path.find(L'\\', 2) == slash) return kErrorPathNotFound;  // "\\srv" itself
  const std::wstring parent = final_path.substr(0, slash);
  if (!impl.Exists(parent.size() == 2 ? parent + L"\\" : parent)) return kErrorPathNotFound;
  impl.paths[Lower(final_path)] = final_path;
  ++impl.directories_created;
  return 0;
}

int32_t CloseHandle(void* handle) {
  FakeHostPathApi::Impl& impl = I();
  std::lock_guard<std::mutex> lock(impl.mu);
  if (impl.handles.erase(reinterpret_cast<uintptr_t>(handle)) == 0) {
    ++impl.bad_closes;
    return 0;
  }
  return 1;
}

}  // namespace

FakeHostPathApi::FakeHostPathApi() : impl_(std::make_unique<Impl>()) {
  Impl* expected = nullptr;
  if (!g_impl.compare_exchange_strong(expected, impl_.get())) std::abort();  // one fake at a time
  api_.open_existing = &OpenExisting;
  api_.get_final_path_name_by_handle = &FinalPathName;
  api_.create_directory = &CreateDirectory;
  api_.close_handle = &CloseHandle;
}

FakeHostPathApi::~FakeHostPathApi() { g_impl.store(nullptr); }

void FakeHostPathApi::AddVolume(const std::wstring& drive, const std::wstring& guid) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->volumes[Lower(drive)] = guid;
}

void FakeHostPathApi::AddPath(const std::wstring& path) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!IsDriveAbsolute(path) && !IsUnc(path)) std::abort();  // a test bug
  if (IsDriveAbsolute(path) && impl_->volumes.count(Lower(path.substr(0, 2))) == 0) std::abort();  // no such volume
  impl_->paths[Lower(TrimSlash(path))] = TrimSlash(path);
}

void FakeHostPathApi::AddLink(const std::wstring& link, const std::wstring& target) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->links[Lower(TrimSlash(link))] = TrimSlash(target);
}

void FakeHostPathApi::AddShare(const std::wstring& share) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->shares.insert(Lower(TrimSlash(share)));
}

int FakeHostPathApi::open_handles() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return static_cast<int>(impl_->handles.size());
}

int FakeHostPathApi::bad_closes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->bad_closes;
}

int FakeHostPathApi::directories_created() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->directories_created;
}

bool FakeHostPathApi::Exists(const std::wstring& path) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Exists(TrimSlash(path));
}

int FakeHostPathApi::opens() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->opens;
}

}  // namespace silo::runtime::windows::host_path::fake
