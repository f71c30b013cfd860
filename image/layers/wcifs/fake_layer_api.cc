#include "image/layers/wcifs/fake_layer_api.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "runtime/windows/hcs/wide.h"

namespace silo::image::layers::wcifs {

namespace fs = std::filesystem;
using ::silo::runtime::windows::hcs::WideToUtf8;

namespace {

FakeLayerApi* instance = nullptr;
thread_local bool thread_privileged = false;

constexpr uint32_t kOk = 0;
constexpr uint32_t kFileNotFound = 0x80070002;
constexpr uint32_t kFileExists = 0x80070050;
constexpr uint32_t kInvalidArg = 0x80070057;

std::string U(const wchar_t* s) { return WideToUtf8(s); }

std::vector<std::string> Parents(const LayerDescriptor* d, uint32_t n) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < n; ++i) out.push_back(U(d[i].path));
  return out;
}

FakeLayerCall Rec(LayerCall call, std::string path = {}, std::string arg = {}) {
  FakeLayerCall r;
  r.call = call;
  r.path = std::move(path);
  r.arg = std::move(arg);
  return r;
}

// The fake "import": staged files land in the layer unchanged; folders for
// ".$wcidirs$" files. Enough for the post-import steps to act on.
uint32_t CopyStaged(const std::string& src, const std::string& dst) {
  std::error_code ec;
  if (!fs::is_directory(src, ec)) return kFileNotFound;
  fs::create_directories(dst, ec);
  for (auto it = fs::recursive_directory_iterator(src, ec); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path rel = fs::relative(it->path(), src);
    const std::string name = rel.filename().string();
    if (it->is_directory()) {
      fs::create_directories(fs::path(dst) / rel, ec);
    } else if (!name.ends_with(".$wcidirs$")) {
      fs::create_directories((fs::path(dst) / rel).parent_path(), ec);
      fs::copy_file(it->path(), fs::path(dst) / rel, fs::copy_options::overwrite_existing, ec);
    }
    if (ec) return kInvalidArg;
  }
  return kOk;
}

}  // namespace

struct FakeTrampolines {
  static FakeLayerApi& F() { return *instance; }

  static uint32_t ImportLayer(const DriverInfo*, const wchar_t* id, const wchar_t* src, const LayerDescriptor* d,
                              uint32_t n) {
    FakeLayerCall r = Rec(LayerCall::kImportLayer, U(id), U(src));
    r.parents = Parents(d, n);
    const std::string dst = r.path, from = r.arg;
    return F().Run(std::move(r), [&] { return CopyStaged(from, dst); });
  }
  static uint32_t Activate(const DriverInfo*, const wchar_t* id) {
    const std::string p = U(id);
    return F().Run(Rec(LayerCall::kActivateLayer, p), [&] {
      F().activated_.insert(p);
      return kOk;
    });
  }
  static uint32_t Prepare(const DriverInfo*, const wchar_t* id, const LayerDescriptor* d, uint32_t n) {
    const std::string p = U(id);
    FakeLayerCall r = Rec(LayerCall::kPrepareLayer, p);
    r.parents = Parents(d, n);
    return F().Run(std::move(r), [&] {
      if (!F().activated_.contains(p)) return kInvalidArg;
      F().prepared_.insert(p);
      return kOk;
    });
  }
  static uint32_t Unprepare(const DriverInfo*, const wchar_t* id) {
    const std::string p = U(id);
    return F().Run(Rec(LayerCall::kUnprepareLayer, p), [&] {
      F().prepared_.erase(p);
      return kOk;
    });
  }
  static uint32_t Deactivate(const DriverInfo*, const wchar_t* id) {
    const std::string p = U(id);
    return F().Run(Rec(LayerCall::kDeactivateLayer, p), [&] {
      F().activated_.erase(p);
      return kOk;
    });
  }
  static uint32_t MountPath(const DriverInfo*, const wchar_t* id, uint64_t* length, wchar_t* buffer) {
    const std::string p = U(id);
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
    const std::string p = U(id);
    return F().Run(Rec(LayerCall::kDestroyLayer, p), [&] {
      std::error_code ec;
      fs::remove_all(p, ec);
      return ec ? kInvalidArg : kOk;
    });
  }
  static uint32_t Expand(const DriverInfo*, const wchar_t* id, uint64_t size) {
    FakeLayerCall r = Rec(LayerCall::kExpandSandboxSize, U(id));
    r.number = size;
    return F().Run(std::move(r), [] { return kOk; });
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
    return F().Run(Rec(LayerCall::kProcessBaseImage, U(path)), [] { return kOk; });
  }
  static uint32_t ProcessUtility(const wchar_t* path) {
    return F().Run(Rec(LayerCall::kProcessUtilityImage, U(path)), [] { return kOk; });
  }
  static uint32_t CreateSandbox(const DriverInfo*, const wchar_t* id, const wchar_t*, const LayerDescriptor* d,
                                uint32_t n) {
    FakeLayerCall r = Rec(LayerCall::kCreateSandboxLayer, U(id));
    r.parents = Parents(d, n);
    return F().Run(std::move(r), [] { return kOk; });
  }
  static uint32_t HcsImport(const wchar_t* layer, const wchar_t* src, const wchar_t* data) {
    FakeLayerCall r = Rec(LayerCall::kHcsImportLayer, U(layer), U(src) + "\n" + U(data));
    const std::string dst = r.path, from = U(src);
    return F().Run(std::move(r), [&] { return CopyStaged(from, dst); });
  }
  static uint32_t HcsSetupBase(const wchar_t* layer, void*, const wchar_t* options) {
    return F().Run(Rec(LayerCall::kHcsSetupBaseOsLayer, U(layer), U(options)), [] { return kOk; });
  }
  static uint32_t HcsInitWritable(const wchar_t* layer, const wchar_t* data, const wchar_t*) {
    return F().Run(Rec(LayerCall::kHcsInitializeWritableLayer, U(layer), U(data)), [] { return kOk; });
  }
  static uint32_t HcsAttach(const wchar_t* layer, const wchar_t* data) {
    return F().Run(Rec(LayerCall::kHcsAttachLayerStorageFilter, U(layer), U(data)), [] { return kOk; });
  }
  static uint32_t HcsDetach(const wchar_t* layer) {
    return F().Run(Rec(LayerCall::kHcsDetachLayerStorageFilter, U(layer)), [] { return kOk; });
  }
  static uint32_t HcsDestroy(const wchar_t* layer) {
    const std::string p = U(layer);
    return F().Run(Rec(LayerCall::kHcsDestroyLayer, p), [&] {
      std::error_code ec;
      fs::remove_all(p, ec);
      return ec ? kInvalidArg : kOk;
    });
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
  static uint32_t BackupWrite(const wchar_t* path, const FileBasicInfo* info, const uint8_t* stream, uint64_t size,
                              bool process_security) {
    FakeLayerCall r = Rec(LayerCall::kBackupWriteFile, U(path), process_security ? "security" : "");
    r.info = *info;
    r.number = size;
    const std::string p = r.path;
    return F().Run(std::move(r), [&] {
      std::error_code ec;
      if (info->file_attributes & 0x10) {
        fs::create_directories(p, ec);
        return ec ? kInvalidArg : kOk;
      }
      if (fs::exists(p, ec)) return kFileExists;
      std::ofstream out(p, std::ios::binary);
      out.write(reinterpret_cast<const char*>(stream), static_cast<std::streamsize>(size));
      return out.good() ? kOk : kFileNotFound;
    });
  }
  static uint32_t SetBasicInfo(const wchar_t* path, const FileBasicInfo* info) {
    FakeLayerCall r = Rec(LayerCall::kSetFileBasicInfo, U(path));
    r.info = *info;
    const std::string p = r.path;
    return F().Run(std::move(r), [&] {
      std::error_code ec;
      return fs::exists(p, ec) ? kOk : kFileNotFound;
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
  api_.backup_write_file = &T::BackupWrite;
  api_.set_file_basic_info = &T::SetBasicInfo;
}

FakeLayerApi::~FakeLayerApi() { instance = nullptr; }

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
    if (!queue.empty()) {
      hr = queue.front();
      queue.pop_front();
    } else {
      hr = effect();
    }
    if (is_import) --imports_in_flight_;
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

int FakeLayerApi::max_concurrent_imports() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_imports_in_flight_;
}

}  // namespace silo::image::layers::wcifs
