// Windows only (mingw build): the relative layer-content primitives.
//
// How a name stays inside its root. The root folder (ours) is opened by its
// "\\?\" long path. The relative name is then walked ONE COMPONENT AT A
// TIME: each component is opened with NtCreateFile whose
// OBJECT_ATTRIBUTES.RootDirectory is the handle of the component before it,
// with FILE_OPEN_REPARSE_POINT (so the open itself never follows a link),
// and its FILE_ATTRIBUTE_REPARSE_POINT bit is read from that same handle
// before it becomes the root of the next open. A directory that is a
// junction or symlink is therefore refused before anything is opened
// through it, and it is race-free: the object checked is the object the
// next open starts from, so swapping a junction in after the check changes
// nothing (the handle still names the old directory). On top, every open
// carries OBJ_DONT_REPARSE, hcsshim's whole defence (internal/safefile:
// one NtCreateFile relative to the root, failing with
// STATUS_REPARSE_POINT_ENCOUNTERED on any reparse point); the explicit
// per-component check also holds where that flag is not honoured (Wine,
// older kernels, filter drivers). The cost is one open per component.
// Opens use FILE_OPEN_FOR_BACKUP_INTENT (SeBackup/SeRestore are enabled by
// the importer) and OBJ_CASE_INSENSITIVE (Win32 name semantics).
#include "image/layers/wcifs/relative_fs_win32.h"

#include <windows.h>
#include <winternl.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "image/layers/wcifs/relative_path.h"
#include "runtime/base/windows/dll_binding.h"

namespace silo::image::layers::wcifs {
namespace {

constexpr NTSTATUS kStatusReparsePointEncountered = static_cast<NTSTATUS>(0xC000050B);
constexpr ULONG kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

struct Nt {
  decltype(&::NtCreateFile) create_file = nullptr;
  decltype(&::NtSetInformationFile) set_information_file = nullptr;
  decltype(&::RtlNtStatusToDosError) status_to_dos_error = nullptr;
};

const Nt* LoadNt() {
  static const Nt* nt = [] {
    static Nt table;
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");  // always mapped
    if (ntdll == nullptr) return static_cast<const Nt*>(nullptr);
    namespace dll = win32::dll;
    const bool ok = win32::dll::Bind(ntdll, "NtCreateFile", table.create_file) &&
                    win32::dll::Bind(ntdll, "NtSetInformationFile", table.set_information_file) &&
                    win32::dll::Bind(ntdll, "RtlNtStatusToDosError", table.status_to_dos_error);
    return ok ? static_cast<const Nt*>(&table) : nullptr;
  }();
  return nt;
}

uint32_t Hr(DWORD error) { return static_cast<uint32_t>(HRESULT_FROM_WIN32(error)); }
uint32_t RelativeFsLastErrorHr() { return Hr(GetLastError()); }

uint32_t StatusHr(NTSTATUS status) {
  if (status == kStatusReparsePointEncountered) return kHrReparsePointEncountered;
  return Hr(LoadNt()->status_to_dos_error(status));
}

class Handle {
 public:
  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  Handle& operator=(Handle&& o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  ~Handle() {
    if (h_ != nullptr && h_ != INVALID_HANDLE_VALUE) CloseHandle(h_);
  }
  HANDLE get() const { return h_; }
  HANDLE* out() { return &h_; }

 private:
  HANDLE h_ = nullptr;
};

// "\\?\C:\..." (or "\\?\UNC\server\...") for `root`, so no MAX_PATH limit
// applies to the root; relative names have none anyway (NT opens).
std::wstring LongPath(const wchar_t* root) {
  std::wstring path(root);
  std::replace(path.begin(), path.end(), L'/', L'\\');
  if (path.rfind(L"\\\\?\\", 0) == 0 || path.rfind(L"\\\\.\\", 0) == 0) return path;
  const DWORD n = GetFullPathNameW(path.c_str(), 0, nullptr, nullptr);
  if (n == 0) return L"\\\\?\\" + path;
  std::wstring full(n, L'\0');
  const DWORD written = GetFullPathNameW(path.c_str(), n, full.data(), nullptr);
  full.resize(written);
  if (full.rfind(L"\\\\", 0) == 0) return L"\\\\?\\UNC\\" + full.substr(2);
  return L"\\\\?\\" + full;
}

uint32_t OpenRoot(const wchar_t* root, Handle* out) {
  const std::wstring path = LongPath(root);
  HANDLE h = CreateFileW(path.c_str(), FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
                         kShareAll, nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) return RelativeFsLastErrorHr();
  *out->out() = h;
  return 0;
}

// NtCreateFile of the single component `name` below the directory `dir`.
uint32_t OpenBelow(HANDLE dir, const std::wstring& name, ACCESS_MASK access, ULONG share, ULONG disposition,
                   ULONG options, Handle* out) {
  if (name.size() > 32767) return kHrInvalidRelativePath;
  UNICODE_STRING us;
  us.Buffer = const_cast<PWSTR>(name.c_str());
  us.Length = us.MaximumLength = static_cast<USHORT>(name.size() * sizeof(wchar_t));
  OBJECT_ATTRIBUTES oa{};
  oa.Length = sizeof(oa);
  oa.RootDirectory = dir;
  oa.ObjectName = &us;
  oa.Attributes = OBJ_DONT_REPARSE | OBJ_CASE_INSENSITIVE;
  IO_STATUS_BLOCK iosb{};
  const NTSTATUS status =
      LoadNt()->create_file(out->out(), access | SYNCHRONIZE, &oa, &iosb, nullptr, 0, share, disposition,
                            options | FILE_OPEN_FOR_BACKUP_INTENT | FILE_SYNCHRONOUS_IO_NONALERT, nullptr, 0);
  if (status < 0) {
    *out->out() = nullptr;
    return StatusHr(status);
  }
  return 0;
}

uint32_t AttributesOf(HANDLE h, uint32_t* attributes) {
  FILE_ATTRIBUTE_TAG_INFO info{};
  if (!GetFileInformationByHandleEx(h, FileAttributeTagInfo, &info, sizeof(info))) return RelativeFsLastErrorHr();
  *attributes = info.FileAttributes;
  return 0;
}

// The checked parent directory of `rel`'s last component, and that component.
struct Walk {
  Handle root;
  Handle held;           // the last intermediate opened, when there is one
  HANDLE parent = nullptr;
  std::wstring leaf;
};

// Opens root, then every component of `rel` but the last, each relative to
// the one before and refused if it is a reparse point (see the file comment).
uint32_t WalkToParent(const wchar_t* root, const wchar_t* rel, Walk* w) {
  if (LoadNt() == nullptr) return Hr(ERROR_PROC_NOT_FOUND);
  const std::vector<std::wstring> parts = SplitRelativePath(rel);
  if (parts.empty()) return kHrInvalidRelativePath;
  if (uint32_t hr = OpenRoot(root, &w->root); hr != 0) return hr;
  w->parent = w->root.get();
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    Handle next;
    uint32_t hr = OpenBelow(w->parent, parts[i], FILE_TRAVERSE | FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES,
                            kShareAll, FILE_OPEN, FILE_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT, &next);
    // A missing or non-directory component is a missing path, as for Win32.
    if (hr == Hr(ERROR_FILE_NOT_FOUND) || hr == Hr(ERROR_DIRECTORY)) hr = Hr(ERROR_PATH_NOT_FOUND);
    if (hr != 0) return hr;
    uint32_t attributes = 0;
    if (hr = AttributesOf(next.get(), &attributes); hr != 0) return hr;
    if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) return kHrReparsePointEncountered;
    w->held = std::move(next);
    w->parent = w->held.get();
  }
  w->leaf = parts.back();
  return 0;
}

// WalkToParent, then opens the last component as itself
// (FILE_OPEN_REPARSE_POINT is always added: a link there is opened, never
// followed). The walk's handles close on return; `*h` does not need them.
uint32_t OpenLeaf(const wchar_t* root, const wchar_t* rel, ACCESS_MASK access, ULONG share, ULONG disposition,
                  ULONG options, Handle* h) {
  Walk w;
  if (uint32_t hr = WalkToParent(root, rel, &w); hr != 0) return hr;
  return OpenBelow(w.parent, w.leaf, access, share, disposition, options | FILE_OPEN_REPARSE_POINT, h);
}

uint32_t SetBasicInfoOnHandle(HANDLE h, const FileBasicInfo* info) {
  FILE_BASIC_INFO bi{};
  bi.CreationTime.QuadPart = info->creation_time;
  bi.LastAccessTime.QuadPart = info->last_access_time;
  bi.LastWriteTime.QuadPart = info->last_write_time;
  bi.ChangeTime.QuadPart = info->change_time;
  bi.FileAttributes = info->file_attributes;
  return SetFileInformationByHandle(h, ::FileBasicInfo, &bi, sizeof(bi)) ? 0 : RelativeFsLastErrorHr();
}

uint32_t WriteBackupStream(HANDLE h, const uint8_t* stream, uint64_t size, bool process_security) {
  uint32_t hr = 0;
  void* context = nullptr;
  uint64_t done = 0;
  while (hr == 0 && done < size) {
    const DWORD chunk = static_cast<DWORD>(std::min<uint64_t>(size - done, 1u << 20));
    DWORD written = 0;
    if (!BackupWrite(h, const_cast<BYTE*>(stream + done), chunk, &written, FALSE, process_security, &context)) {
      hr = RelativeFsLastErrorHr();
    }
    done += written;
    if (written == 0 && hr == 0) hr = static_cast<uint32_t>(E_FAIL);
  }
  if (context != nullptr) {
    DWORD ignored = 0;
    BackupWrite(h, nullptr, 0, &ignored, TRUE, process_security, &context);  // frees the context
  }
  return hr;
}

uint32_t BackupWriteRelative(const wchar_t* root, const wchar_t* rel, const FileBasicInfo* info,
                             const uint8_t* stream, uint64_t size, bool process_security) {
  const bool dir = (info->file_attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  ACCESS_MASK access = GENERIC_READ | GENERIC_WRITE;
  if (process_security) access |= WRITE_DAC | WRITE_OWNER | ACCESS_SYSTEM_SECURITY;
  // A directory entry may repeat an existing folder (FILE_OPEN_IF); a file
  // never overwrites (FILE_CREATE). FILE_OPEN_REPARSE_POINT: an existing
  // junction is opened as itself, then refused below.
  Handle h;
  if (uint32_t hr = OpenLeaf(root, rel, access, FILE_SHARE_READ, dir ? FILE_OPEN_IF : FILE_CREATE,
                             dir ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE, &h);
      hr != 0) {
    return hr;
  }
  // FILE_OPEN_IF may have opened an existing reparse point (as itself, so
  // nothing was followed yet). Writing a directory's stream into it is still
  // refused: BackupWrite opens the alternate data streams it restores by
  // name relative to this handle, and the security it restores would land
  // on a link the layer planted. hcsshim likewise never writes into an
  // existing entry of a different kind (it removes it first). A directory
  // just created has no reparse bit until the stream below sets one.
  if (dir) {
    uint32_t attributes = 0;
    if (uint32_t hr = AttributesOf(h.get(), &attributes); hr != 0) return hr;
    if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) return kHrReparsePointEncountered;
  }
  if (uint32_t hr = SetBasicInfoOnHandle(h.get(), info); hr != 0) return hr;
  return WriteBackupStream(h.get(), stream, size, process_security);
}

uint32_t SetBasicInfoRelative(const wchar_t* root, const wchar_t* rel, const FileBasicInfo* info) {
  Handle h;
  if (uint32_t hr = OpenLeaf(root, rel, FILE_WRITE_ATTRIBUTES, kShareAll, FILE_OPEN, 0, &h); hr != 0) return hr;
  return SetBasicInfoOnHandle(h.get(), info);
}

uint32_t MkdirRelative(const wchar_t* root, const wchar_t* rel) {
  Handle h;
  if (uint32_t hr = OpenLeaf(root, rel, FILE_READ_ATTRIBUTES, kShareAll, FILE_OPEN_IF, FILE_DIRECTORY_FILE, &h);
      hr != 0) {
    return hr;
  }
  // Opened as itself: an existing junction here is refused, not entered.
  uint32_t attributes = 0;
  if (uint32_t hr = AttributesOf(h.get(), &attributes); hr != 0) return hr;
  return (attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0 ? kHrReparsePointEncountered : 0;
}

uint32_t LstatRelative(const wchar_t* root, const wchar_t* rel, uint32_t* attributes) {
  Handle h;
  if (uint32_t hr = OpenLeaf(root, rel, FILE_READ_ATTRIBUTES, kShareAll, FILE_OPEN, 0, &h); hr != 0) return hr;
  return AttributesOf(h.get(), attributes);
}

constexpr ACCESS_MASK kRemoveAccess = DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | FILE_LIST_DIRECTORY;

uint32_t MarkDeleted(HANDLE h, uint32_t attributes) {
  FILE_DISPOSITION_INFO disposition{};
  disposition.DeleteFile = TRUE;
  if (SetFileInformationByHandle(h, FileDispositionInfo, &disposition, sizeof(disposition))) return 0;
  if (GetLastError() != ERROR_ACCESS_DENIED || (attributes & FILE_ATTRIBUTE_READONLY) == 0) return RelativeFsLastErrorHr();
  // Read-only files refuse deletion: clear the bit and retry (as hcsshim).
  FileBasicInfo info{};
  info.file_attributes = attributes & ~static_cast<uint32_t>(FILE_ATTRIBUTE_READONLY);
  if (info.file_attributes == 0) info.file_attributes = FILE_ATTRIBUTE_NORMAL;
  if (uint32_t hr = SetBasicInfoOnHandle(h, &info); hr != 0) return hr;
  return SetFileInformationByHandle(h, FileDispositionInfo, &disposition, sizeof(disposition)) ? 0 : RelativeFsLastErrorHr();
}

bool IsRealDirectory(uint32_t attributes) {
  return (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0 && (attributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0;
}

// The names in the directory `h` (no "." or ".."), read into `buffer`.
uint32_t ListChildren(HANDLE h, std::vector<unsigned char>* buffer, std::vector<std::wstring>* names) {
  FILE_INFO_BY_HANDLE_CLASS cls = FileIdBothDirectoryRestartInfo;
  while (GetFileInformationByHandleEx(h, cls, buffer->data(), static_cast<DWORD>(buffer->size()))) {
    cls = FileIdBothDirectoryInfo;
    for (size_t off = 0;;) {
      const auto* e = reinterpret_cast<const FILE_ID_BOTH_DIR_INFO*>(buffer->data() + off);
      std::wstring name(e->FileName, e->FileNameLength / sizeof(wchar_t));
      if (name != L"." && name != L"..") names->push_back(std::move(name));
      if (e->NextEntryOffset == 0) break;
      off += e->NextEntryOffset;
    }
  }
  return GetLastError() == ERROR_NO_MORE_FILES ? 0 : RelativeFsLastErrorHr();
}

// A directory being emptied: its handle, its attributes, the names left.
struct Emptying {
  Handle h;
  uint32_t attributes = 0;
  std::vector<std::wstring> names;
  size_t next = 0;
};

// Deletes the object `top` was opened on (as itself). A real directory is
// emptied first, its children opened relative to it; a reparse point has no
// children to visit and is deleted as the link. Iterative, with one heap
// buffer for the listings: a layer's (or the staging folder's) tree can be
// thousands of levels deep (names up to 32767 units), and a recursive walk
// with a listing buffer per frame overflows the thread stack - a crash of
// the whole runtime - long before that (64 KiB a frame: ~30 levels in 2 MiB).
uint32_t RemoveOpened(Handle top) {
  std::vector<unsigned char> buffer(64 * 1024);
  std::vector<Emptying> stack;
  const auto push = [&](Handle h) -> uint32_t {
    Emptying d;
    d.h = std::move(h);
    if (uint32_t hr = AttributesOf(d.h.get(), &d.attributes); hr != 0) return hr;
    if (IsRealDirectory(d.attributes)) {
      if (uint32_t hr = ListChildren(d.h.get(), &buffer, &d.names); hr != 0) return hr;
    }
    stack.push_back(std::move(d));
    return 0;
  };
  if (uint32_t hr = push(std::move(top)); hr != 0) return hr;
  while (!stack.empty()) {
    Emptying& dir = stack.back();
    if (dir.next < dir.names.size()) {
      Handle child;
      const uint32_t hr =
          OpenBelow(dir.h.get(), dir.names[dir.next++], kRemoveAccess, kShareAll, FILE_OPEN, FILE_OPEN_REPARSE_POINT,
                    &child);
      if (hr == Hr(ERROR_FILE_NOT_FOUND)) continue;  // gone meanwhile
      if (hr != 0) return hr;
      if (uint32_t pushed = push(std::move(child)); pushed != 0) return pushed;  // `dir` is stale from here
      continue;
    }
    if (uint32_t hr = MarkDeleted(dir.h.get(), dir.attributes); hr != 0) return hr;
    stack.pop_back();  // closing the handle performs the delete, emptying its parent
  }
  return 0;
}

uint32_t RemoveAllRelative(const wchar_t* root, const wchar_t* rel) {
  Walk w;
  uint32_t hr = WalkToParent(root, rel, &w);
  if (hr == Hr(ERROR_PATH_NOT_FOUND)) return 0;  // missing is success
  if (hr != 0) return hr;
  Handle h;
  hr = OpenBelow(w.parent, w.leaf, kRemoveAccess, kShareAll, FILE_OPEN, FILE_OPEN_REPARSE_POINT, &h);
  if (hr == Hr(ERROR_FILE_NOT_FOUND)) return 0;
  if (hr != 0) return hr;
  return RemoveOpened(std::move(h));
}

uint32_t LinkRelative(const wchar_t* existing_root, const wchar_t* existing_rel, const wchar_t* new_root,
                      const wchar_t* new_rel) {
  Walk from;
  if (uint32_t hr = WalkToParent(existing_root, existing_rel, &from); hr != 0) return hr;
  Handle existing;
  if (uint32_t hr = OpenBelow(from.parent, from.leaf, FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, kShareAll,
                              FILE_OPEN, FILE_OPEN_REPARSE_POINT, &existing);
      hr != 0) {
    return hr;
  }
  uint32_t attributes = 0;
  if (uint32_t hr = AttributesOf(existing.get(), &attributes); hr != 0) return hr;
  if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) return kHrReparsePointEncountered;
  if ((attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) return Hr(ERROR_ACCESS_DENIED);

  Walk to;
  if (uint32_t hr = WalkToParent(new_root, new_rel, &to); hr != 0) return hr;
  // The link is named relative to the checked parent handle, so NT opens no
  // further directory and walks no link while creating it (hcsshim).
  const size_t name_bytes = to.leaf.size() * sizeof(wchar_t);
  std::vector<unsigned char> buffer(offsetof(FILE_LINK_INFORMATION, FileName) + name_bytes + sizeof(wchar_t));
  auto* link = reinterpret_cast<FILE_LINK_INFORMATION*>(buffer.data());
  link->ReplaceIfExists = TRUE;  // never replaces a folder; replaces a link as itself
  link->RootDirectory = to.parent;
  link->FileNameLength = static_cast<ULONG>(name_bytes);
  std::memcpy(link->FileName, to.leaf.data(), name_bytes);
  IO_STATUS_BLOCK iosb{};
  const NTSTATUS status = LoadNt()->set_information_file(existing.get(), &iosb, link,
                                                         static_cast<ULONG>(buffer.size()), FileLinkInformation);
  return status < 0 ? StatusHr(status) : 0;
}

}  // namespace

HrStatus BindRelativeFileCalls(LayerApi* api) {
  if (LoadNt() == nullptr) return HrStatus(Hr(ERROR_PROC_NOT_FOUND), "ntdll.dll lacks NtCreateFile");
  api->backup_write_relative = &BackupWriteRelative;
  api->set_file_basic_info_relative = &SetBasicInfoRelative;
  api->mkdir_relative = &MkdirRelative;
  api->lstat_relative = &LstatRelative;
  api->remove_all_relative = &RemoveAllRelative;
  api->link_relative = &LinkRelative;
  return HrStatus::Ok();
}

}  // namespace silo::image::layers::wcifs
