#include "image/layers/wcifs/fake_layer_api.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "image/layers/wcifs/relative_path.h"
#include "runtime/base/windows/wide.h"

namespace silo::image::layers::wcifs {

namespace fs = std::filesystem;
using silo::win32::WideToUtf8;

namespace {

FakeLayerApi* instance = nullptr;
thread_local bool thread_privileged = false;

constexpr uint32_t kOk = 0;
constexpr uint32_t kFileNotFound = 0x80070002;
constexpr uint32_t kPathNotFound = 0x80070003;
constexpr uint32_t kAccessDenied = 0x80070005;
constexpr uint32_t kInvalidArg = 0x80070057;
constexpr uint32_t kDirNotEmpty = 0x80070091;
constexpr uint32_t kAlreadyExists = 0x800700B7;  // STATUS_OBJECT_NAME_COLLISION
constexpr uint32_t kNotADirectory = 0x8007010B;  // STATUS_NOT_A_DIRECTORY
constexpr uint32_t kFileExists = 0x80070050;     // ERROR_FILE_EXISTS
constexpr uint32_t kBusy = 0x800700AA;           // ERROR_BUSY
constexpr uint32_t kInvalidState = 0x8007139F;   // ERROR_INVALID_STATE
constexpr uint32_t kAttrDirectory = 0x10;
constexpr uint32_t kAttrArchive = 0x20;
constexpr uint32_t kAttrReparsePoint = 0x400;
constexpr uint32_t kStreamReparseData = 8;

std::string U(const wchar_t* s) { return WideToUtf8(s); }

// Set when a path handed to the layer API had a '/' in it: vmcompute and
// computestorage take Windows paths, so Run refuses that call.
thread_local bool t_not_a_windows_path = false;

// A layer-API path as the fake keeps it: the Windows separators it must
// arrive with mapped back to the Linux file system the fake works on.
std::string FromWindows(const wchar_t* s) {
  std::string out = U(s);
  std::replace(out.begin(), out.end(), '\\', '/');
  return out;
}
std::string P(const wchar_t* s) {
  if (U(s).find('/') != std::string::npos) t_not_a_windows_path = true;
  return FromWindows(s);
}

std::vector<std::string> Parents(const LayerDescriptor* d, uint32_t n) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < n; ++i) out.push_back(P(d[i].path));
  return out;
}

FakeLayerCall Rec(LayerCall call, std::string path = {}, std::string arg = {}) {
  FakeLayerCall r;
  r.call = call;
  r.path = std::move(path);
  r.arg = std::move(arg);
  return r;
}

uint32_t Le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }
uint64_t Le64(const uint8_t* p) { return Le32(p) | static_cast<uint64_t>(Le32(p + 4)) << 32; }

// Whether a backup stream has a reparse-data part (WIN32_STREAM_ID walk).
bool HasReparseData(const uint8_t* stream, uint64_t size) {
  uint64_t off = 0;
  while (size >= 20 && off <= size - 20) {
    if (Le32(stream + off) == kStreamReparseData) return true;
    const uint64_t skip = Le64(stream + off + 8), name = Le32(stream + off + 16);
    if (skip > size || name > size || off + 20 + name + skip > size) return false;
    off += 20 + name + skip;
  }
  return false;
}

bool HasReparseData(const std::string& bytes) {
  return HasReparseData(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool IsDir(const std::string& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool HasScratchVhd(const std::string& p) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(p) / "sandbox.vhdx", ec);
}

// An unknown parent layer is a path that is not a folder.
bool AllFolders(const std::vector<std::string>& paths) {
  return std::all_of(paths.begin(), paths.end(), IsDir);
}

bool IsLink(const fs::path& p) {
  std::error_code ec;
  return fs::is_symlink(fs::symlink_status(p, ec));
}

// The fake "import": staged files land in the layer unchanged; folders for
// ".$wcidirs$" files. Entries whose transport bytes (u32 attributes, then
// the backup stream) carry reparse data become reparse points, as the real
// import makes them, so the post-import steps meet them. Links are made
// after all copies so the copy itself never writes through one.
uint32_t CopyStaged(const std::string& src, const std::string& dst, const std::string& reparse_target) {
  std::error_code ec;
  if (!fs::is_directory(src, ec)) return kFileNotFound;
  fs::create_directories(dst, ec);
  std::vector<fs::path> links;
  for (auto it = fs::recursive_directory_iterator(src, ec); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path rel = fs::relative(it->path(), src);
    const std::string name = rel.filename().string();
    // A hive folder's marker (BackupWrite without security) can be empty,
    // as hcsshim's legacy writer leaves it.
    const std::string bytes = it->is_directory() ? std::string() : Slurp(it->path());
    const bool reparse = bytes.size() > 4 && HasReparseData(bytes.substr(4));
    if (it->is_directory()) {
      fs::create_directories(fs::path(dst) / rel, ec);
    } else if (name.ends_with(".$wcidirs$")) {
      if (reparse) links.push_back(rel.parent_path() / name.substr(0, name.size() - 10));
    } else if (reparse) {
      links.push_back(rel);
    } else {
      fs::create_directories((fs::path(dst) / rel).parent_path(), ec);
      fs::copy_file(it->path(), fs::path(dst) / rel, fs::copy_options::overwrite_existing, ec);
    }
    if (ec) return kInvalidArg;
  }
  for (const fs::path& rel : links) {
    fs::remove(fs::path(dst) / rel, ec);  // the empty folder made for a junction
    fs::create_directory_symlink(reparse_target, fs::path(dst) / rel, ec);
    if (ec) return kInvalidArg;
  }
  return kOk;
}

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// `name` in `dir` as it exists there, matched case-insensitively (Win32
// opens are), or `name` itself when nothing matches.
std::string MatchName(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dir / name, ec))) return name;
  const std::string lower = AsciiLower(name);
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (AsciiLower(e.path().filename().string()) == lower) return e.path().filename().string();
  }
  return name;
}

// `rel` below `root`, resolved as NtCreateFile(RootDirectory = root,
// OBJ_DONT_REPARSE) does: every component but the last must be a real
// directory. The last is reported, never followed.
struct Resolved {
  uint32_t hr = kOk;
  fs::path path;
  bool exists = false, link = false, directory = false;
  uint32_t attributes() const {
    uint32_t a = directory ? kAttrDirectory : kAttrArchive;
    return link ? (a | kAttrReparsePoint) : a;
  }
};

Resolved Resolve(const std::wstring& root, const std::wstring& rel) {
  Resolved r;
  const std::vector<std::wstring> parts = SplitRelativePath(rel);
  if (parts.empty()) {
    r.hr = kHrInvalidRelativePath;
    return r;
  }
  fs::path cur = FromWindows(root.c_str());
  std::error_code ec;
  for (size_t i = 0; i < parts.size(); ++i) {
    cur /= MatchName(cur, WideToUtf8(parts[i]));
    const fs::file_status st = fs::symlink_status(cur, ec);
    if (i + 1 == parts.size()) {
      r.exists = fs::exists(st);
      r.link = fs::is_symlink(st);
      // Every fake reparse point is a directory symlink, and a directory
      // link is FILE_ATTRIBUTE_DIRECTORY on NTFS whatever it points at.
      r.directory = r.link || fs::is_directory(st);
      break;
    }
    if (fs::is_symlink(st)) {
      r.hr = kHrReparsePointEncountered;
      return r;
    }
    if (!fs::is_directory(st)) {
      r.hr = kPathNotFound;
      return r;
    }
  }
  r.path = cur;
  return r;
}

// Recursive delete that removes links as themselves and never enters them.
void RemoveTree(const fs::path& p, std::error_code& ec) {
  if (!IsLink(p) && fs::is_directory(fs::symlink_status(p, ec))) {
    for (const auto& e : fs::directory_iterator(p, ec)) {
      RemoveTree(e.path(), ec);
      if (ec) return;
    }
  }
  fs::remove(p, ec);
}

}  // namespace

struct FakeTrampolines {
  static FakeLayerApi& F() { return *instance; }

  static uint32_t ImportLayer(const DriverInfo*, const wchar_t* id, const wchar_t* src, const LayerDescriptor* d,
                              uint32_t n) {
    FakeLayerCall r = Rec(LayerCall::kImportLayer, P(id), P(src));
    r.parents = Parents(d, n);
    const std::string dst = r.path, from = r.arg;
    return F().Run(std::move(r), [&] { return CopyStaged(from, dst, F().reparse_target_); });
  }
  // The scratch must be a folder holding sandbox.vhdx (CreateSandboxLayer's
  // output), activated once.
  static uint32_t Activate(const DriverInfo*, const wchar_t* id) {
    const std::string p = P(id);
    return F().Run(Rec(LayerCall::kActivateLayer, p), [&] {
      if (!HasScratchVhd(p)) return kPathNotFound;
      if (!F().activated_.insert(p).second) return kInvalidState;
      return kOk;
    });
  }
  // Only an activated, not yet prepared scratch, over existing parents.
  static uint32_t Prepare(const DriverInfo*, const wchar_t* id, const LayerDescriptor* d, uint32_t n) {
    const std::string p = P(id);
    FakeLayerCall r = Rec(LayerCall::kPrepareLayer, p);
    r.parents = Parents(d, n);
    const std::vector<std::string> parents = r.parents;
    return F().Run(std::move(r), [&] {
      if (!F().activated_.contains(p) || F().prepared_.contains(p)) return kInvalidState;
      if (!AllFolders(parents)) return kPathNotFound;
      F().prepared_.insert(p);
      return kOk;
    });
  }
  // A second release of either kind is refused, as is deactivating a
  // scratch whose filter is still attached.
  static uint32_t Unprepare(const DriverInfo*, const wchar_t* id) {
    const std::string p = P(id);
    return F().Run(Rec(LayerCall::kUnprepareLayer, p), [&] {
      return F().prepared_.erase(p) == 1 ? kOk : kInvalidState;
    });
  }
  static uint32_t Deactivate(const DriverInfo*, const wchar_t* id) {
    const std::string p = P(id);
    return F().Run(Rec(LayerCall::kDeactivateLayer, p), [&] {
      if (F().prepared_.contains(p)) return kBusy;
      return F().activated_.erase(p) == 1 ? kOk : kInvalidState;
    });
  }
  static uint32_t MountPath(const DriverInfo*, const wchar_t* id, uint64_t* length, wchar_t* buffer) {
    const std::string p = P(id);
    return F().Run(Rec(LayerCall::kGetLayerMountPath, p), [&] {
      if (!F().prepared_.contains(p)) return kInvalidArg;
      Guid g{};
      NameToGuidImpl(p, &g);
      char text[64];
      std::snprintf(text, sizeof(text), "\\\\?\\Volume{%08x-0000-0000-0000-000000000000}\\", g.data1);
      const std::wstring w(text, text + std::char_traits<char>::length(text));
      if (buffer == nullptr) {
        *length = w.size() + 1;
        return kOk;
      }
      if (*length < w.size() + 1) return kInvalidArg;
      std::copy(w.begin(), w.end(), buffer);
      buffer[w.size()] = L'\0';
      return kOk;
    });
  }
  static uint32_t Destroy(const DriverInfo*, const wchar_t* id) {
    const std::string p = P(id);
    return F().Run(Rec(LayerCall::kDestroyLayer, p), [&] { return F().DestroyLocked(p); });
  }
  static uint32_t Expand(const DriverInfo*, const wchar_t* id, uint64_t size) {
    const std::string p = P(id);
    FakeLayerCall r = Rec(LayerCall::kExpandSandboxSize, p);
    r.number = size;
    return F().Run(std::move(r), [&] { return HasScratchVhd(p) ? kOk : kPathNotFound; });
  }
  static void NameToGuidImpl(const std::string& name, Guid* g) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
    uint64_t h2 = h * 0x9E3779B97F4A7C15ull;
    g->data1 = static_cast<uint32_t>(h >> 32);
    g->data2 = static_cast<uint16_t>(h >> 16);
    g->data3 = static_cast<uint16_t>((h & 0x0FFF) | 0x5000);  // version 5
    for (int i = 0; i < 8; ++i) g->data4[i] = static_cast<uint8_t>(h2 >> (8 * i));
    g->data4[0] = static_cast<uint8_t>((g->data4[0] & 0x3F) | 0x80);  // RFC 4122 variant
  }
  static uint32_t NameToGuid(const wchar_t* name, Guid* g) {
    const std::string n = U(name);
    return F().Run(Rec(LayerCall::kNameToGuid, n), [&] {
      NameToGuidImpl(n, g);
      return kOk;
    });
  }
  static uint32_t ProcessBase(const wchar_t* path) {
    return F().Run(Rec(LayerCall::kProcessBaseImage, P(path)), [] { return kOk; });
  }
  static uint32_t ProcessUtility(const wchar_t* path) {
    return F().Run(Rec(LayerCall::kProcessUtilityImage, P(path)), [] { return kOk; });
  }
  static uint32_t CreateSandbox(const DriverInfo*, const wchar_t* id, const wchar_t*, const LayerDescriptor* d,
                                uint32_t n) {
    const std::string p = P(id);
    FakeLayerCall r = Rec(LayerCall::kCreateSandboxLayer, p);
    r.parents = Parents(d, n);
    const std::vector<std::string> parents = r.parents;
    // As vmcompute: the folder must exist, the parents too; sandbox.vhdx is new.
    return F().Run(std::move(r), [&] {
      if (!IsDir(p) || parents.empty() || !AllFolders(parents)) return kPathNotFound;
      if (HasScratchVhd(p)) return kFileExists;
      std::ofstream out(fs::path(p) / "sandbox.vhdx", std::ios::binary);
      out << std::string(kFakeScratchVhdBytes, 'v');
      return out.good() ? kOk : kAccessDenied;
    });
  }
  static uint32_t HcsImport(const wchar_t* layer, const wchar_t* src, const wchar_t* data) {
    FakeLayerCall r = Rec(LayerCall::kHcsImportLayer, P(layer), P(src) + "\n" + U(data));
    const std::string dst = r.path, from = P(src);
    return F().Run(std::move(r), [&] { return CopyStaged(from, dst, F().reparse_target_); });
  }
  static uint32_t HcsSetupBase(const wchar_t* layer, void*, const wchar_t* options) {
    return F().Run(Rec(LayerCall::kHcsSetupBaseOsLayer, P(layer), U(options)), [] { return kOk; });
  }
  static uint32_t HcsInitWritable(const wchar_t* layer, const wchar_t* data, const wchar_t*) {
    return F().Run(Rec(LayerCall::kHcsInitializeWritableLayer, P(layer), U(data)), [] { return kOk; });
  }
  static uint32_t HcsAttach(const wchar_t* layer, const wchar_t* data) {
    return F().Run(Rec(LayerCall::kHcsAttachLayerStorageFilter, P(layer), U(data)), [] { return kOk; });
  }
  static uint32_t HcsDetach(const wchar_t* layer) {
    return F().Run(Rec(LayerCall::kHcsDetachLayerStorageFilter, P(layer)), [] { return kOk; });
  }
  static uint32_t HcsDestroy(const wchar_t* layer) {
    const std::string p = P(layer);
    return F().Run(Rec(LayerCall::kHcsDestroyLayer, p), [&] { return F().DestroyLocked(p); });
  }
  static uint32_t EnablePrivileges(const wchar_t* const* names, uint32_t n) {
    std::string joined;
    for (uint32_t i = 0; i < n; ++i) joined += (i ? "," : "") + U(names[i]);
    return F().Run(Rec(LayerCall::kEnableThreadPrivileges, {}, joined), [] {
      thread_privileged = true;
      return kOk;
    });
  }
  static uint32_t Revert() {
    return F().Run(Rec(LayerCall::kRevertToSelf), [] {
      thread_privileged = false;
      return kOk;
    });
  }
  static FakeLayerCall RelRec(LayerCall call, const wchar_t* root, const wchar_t* rel) {
    FakeLayerCall r = Rec(call, P(root) + "/" + U(rel));
    r.root = P(root);
    r.rel = U(rel);
    return r;
  }
  static uint32_t BackupWrite(const wchar_t* root, const wchar_t* rel, const FileBasicInfo* info,
                              const uint8_t* stream, uint64_t size, bool process_security) {
    FakeLayerCall r = RelRec(LayerCall::kBackupWriteFile, root, rel);
    r.arg = process_security ? "security" : "";
    r.info = *info;
    r.number = size;
    return F().Run(std::move(r), [&] {
      const Resolved t = Resolve(root, rel);
      if (t.hr != kOk) return t.hr;
      const bool directory = (info->file_attributes & kAttrDirectory) != 0;
      const bool reparse = HasReparseData(stream, size);
      std::error_code ec;
      if (t.exists) {
        if (!directory) return kAlreadyExists;  // FILE_CREATE
        if (t.link) return kHrReparsePointEncountered;  // opened as itself, then refused
        if (!t.directory) return kNotADirectory;
        if (!reparse) return kOk;
        if (!fs::is_empty(t.path, ec)) return kDirNotEmpty;
        fs::remove(t.path, ec);
      }
      if (reparse) {
        fs::create_directory_symlink(F().reparse_target_, t.path, ec);
        return ec ? kInvalidArg : kOk;
      }
      if (directory) {
        fs::create_directory(t.path, ec);
        return ec ? kInvalidArg : kOk;
      }
      std::ofstream out(t.path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(stream), static_cast<std::streamsize>(size));
      return out.good() ? kOk : kFileNotFound;
    });
  }
  static uint32_t SetBasicInfo(const wchar_t* root, const wchar_t* rel, const FileBasicInfo* info) {
    FakeLayerCall r = RelRec(LayerCall::kSetFileBasicInfo, root, rel);
    r.info = *info;
    return F().Run(std::move(r), [&] {
      const Resolved t = Resolve(root, rel);
      if (t.hr != kOk) return t.hr;
      return t.exists ? kOk : kFileNotFound;
    });
  }
  static uint32_t Mkdir(const wchar_t* root, const wchar_t* rel) {
    return F().Run(RelRec(LayerCall::kMkdir, root, rel), [&] {
      const Resolved t = Resolve(root, rel);
      if (t.hr != kOk) return t.hr;
      if (t.link) return kHrReparsePointEncountered;  // no FILE_OPEN_REPARSE_POINT here
      if (t.exists) return t.directory ? kOk : kNotADirectory;
      std::error_code ec;
      fs::create_directory(t.path, ec);
      return ec ? kInvalidArg : kOk;
    });
  }
  static uint32_t Lstat(const wchar_t* root, const wchar_t* rel, uint32_t* attributes) {
    return F().Run(RelRec(LayerCall::kLstat, root, rel), [&] {
      const Resolved t = Resolve(root, rel);
      if (t.hr != kOk) return t.hr;
      if (!t.exists) return kFileNotFound;
      *attributes = t.attributes();
      return kOk;
    });
  }
  static uint32_t RemoveAll(const wchar_t* root, const wchar_t* rel) {
    return F().Run(RelRec(LayerCall::kRemoveAll, root, rel), [&] {
      const Resolved t = Resolve(root, rel);
      if (t.hr == kPathNotFound) return kOk;  // missing is success
      if (t.hr != kOk) return t.hr;
      if (!t.exists) return kOk;
      std::error_code ec;
      RemoveTree(t.path, ec);
      return ec ? kAccessDenied : kOk;
    });
  }
  static uint32_t Link(const wchar_t* existing_root, const wchar_t* existing_rel, const wchar_t* new_root,
                       const wchar_t* new_rel) {
    FakeLayerCall r = RelRec(LayerCall::kLink, new_root, new_rel);
    r.arg = P(existing_root) + "/" + U(existing_rel);
    return F().Run(std::move(r), [&] {
      const Resolved from = Resolve(existing_root, existing_rel);
      if (from.hr != kOk) return from.hr;
      if (!from.exists) return kFileNotFound;
      if (from.link) return kHrReparsePointEncountered;
      if (from.directory) return kAccessDenied;
      const Resolved to = Resolve(new_root, new_rel);
      if (to.hr != kOk) return to.hr;
      std::error_code ec;
      if (to.exists) {
        if (to.directory) return kAccessDenied;  // ReplaceIfExists never replaces a folder, nor a junction
        fs::remove(to.path, ec);
      }
      fs::create_hard_link(from.path, to.path, ec);
      return ec ? kPathNotFound : kOk;
    });
  }
};

FakeLayerApi::FakeLayerApi() {
  if (instance != nullptr) std::abort();  // one fake per process: the table has no context pointer
  instance = this;
  using T = FakeTrampolines;
  api_.import_layer = &T::ImportLayer;
  api_.activate_layer = &T::Activate;
  api_.prepare_layer = &T::Prepare;
  api_.unprepare_layer = &T::Unprepare;
  api_.deactivate_layer = &T::Deactivate;
  api_.get_layer_mount_path = &T::MountPath;
  api_.destroy_layer = &T::Destroy;
  api_.expand_sandbox_size = &T::Expand;
  api_.name_to_guid = &T::NameToGuid;
  api_.process_base_image = &T::ProcessBase;
  api_.process_utility_image = &T::ProcessUtility;
  api_.create_sandbox_layer = &T::CreateSandbox;
  api_.hcs_import_layer = &T::HcsImport;
  api_.hcs_setup_base_os_layer = &T::HcsSetupBase;
  api_.hcs_initialize_writable_layer = &T::HcsInitWritable;
  api_.hcs_attach_layer_storage_filter = &T::HcsAttach;
  api_.hcs_detach_layer_storage_filter = &T::HcsDetach;
  api_.hcs_destroy_layer = &T::HcsDestroy;
  api_.enable_thread_privileges = &T::EnablePrivileges;
  api_.revert_to_self = &T::Revert;
  api_.backup_write_relative = &T::BackupWrite;
  api_.set_file_basic_info_relative = &T::SetBasicInfo;
  api_.mkdir_relative = &T::Mkdir;
  api_.lstat_relative = &T::Lstat;
  api_.remove_all_relative = &T::RemoveAll;
  api_.link_relative = &T::Link;
}

FakeLayerApi::~FakeLayerApi() { instance = nullptr; }

uint32_t FakeLayerApi::DestroyLocked(const std::string& path) {
  if (!IsDir(path)) return kPathNotFound;
  if (activated_.contains(path) || prepared_.contains(path)) return kBusy;
  std::error_code ec;
  fs::remove_all(path, ec);
  return ec ? kAccessDenied : kOk;
}

std::set<std::string> FakeLayerApi::Activated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return activated_;
}

std::set<std::string> FakeLayerApi::Prepared() const {
  std::lock_guard<std::mutex> lock(mu_);
  return prepared_;
}

void FakeLayerApi::RemoveComputeStorage() {
  api_.hcs_import_layer = nullptr;
  api_.hcs_setup_base_os_layer = nullptr;
  api_.hcs_initialize_writable_layer = nullptr;
  api_.hcs_attach_layer_storage_filter = nullptr;
  api_.hcs_detach_layer_storage_filter = nullptr;
  api_.hcs_destroy_layer = nullptr;
}

void FakeLayerApi::Inject(LayerCall call, uint32_t hr, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < times; ++i) faults_[call].push_back(hr);
}

void FakeLayerApi::SetHook(LayerCall call, std::function<void(const FakeLayerCall&)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hooks_[call] = std::move(hook);
}

uint32_t FakeLayerApi::Run(FakeLayerCall rec, const std::function<uint32_t()>& effect) {
  rec.thread = std::this_thread::get_id();
  rec.privileged = thread_privileged;
  std::function<void(const FakeLayerCall&)> hook;
  const bool is_import = rec.call == LayerCall::kImportLayer || rec.call == LayerCall::kHcsImportLayer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rec.begin_seq = ++seq_;
    if (auto it = hooks_.find(rec.call); it != hooks_.end()) hook = it->second;
    if (is_import) max_imports_in_flight_ = std::max(max_imports_in_flight_, ++imports_in_flight_);
  }
  if (hook) hook(rec);
  uint32_t hr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& queue = faults_[rec.call];
    if (std::exchange(t_not_a_windows_path, false)) {
      hr = kInvalidArg;
    } else if (!queue.empty()) {
      hr = queue.front();
      queue.pop_front();
    } else {
      hr = effect();
    }
    if (is_import) --imports_in_flight_;
    rec.hr = hr;
    rec.end_seq = ++seq_;
    calls_.push_back(std::move(rec));
  }
  cv_.notify_all();
  return hr;
}

bool FakeLayerApi::WaitFor(const std::function<bool(const std::vector<FakeLayerCall>&)>& pred,
                           std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pred(calls_); });
}

std::vector<FakeLayerCall> FakeLayerApi::Calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

std::vector<FakeLayerCall> FakeLayerApi::Calls(LayerCall call) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FakeLayerCall> out;
  for (const auto& c : calls_) {
    if (c.call == call) out.push_back(c);
  }
  return out;
}

bool FakeLayerApi::IsActivated(const std::string& scratch) const {
  std::lock_guard<std::mutex> lock(mu_);
  return activated_.contains(scratch);
}

bool FakeLayerApi::IsPrepared(const std::string& scratch) const {
  std::lock_guard<std::mutex> lock(mu_);
  return prepared_.contains(scratch);
}

void FakeLayerApi::SetReparseTarget(const std::string& host_folder) {
  std::lock_guard<std::mutex> lock(mu_);
  reparse_target_ = host_folder;
}

void FakeLayerApi::CreateReparsePoint(const std::string& path, const std::string& target) {
  std::error_code ec;
  fs::create_directory_symlink(target, path, ec);
  if (ec) std::abort();  // a test set-up error
}

int FakeLayerApi::max_concurrent_imports() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_imports_in_flight_;
}

}  // namespace silo::image::layers::wcifs
