#include "image/layers/wcifs/layer_calls.h"

#include <cstdio>
#include <mutex>
#include <thread>

#include "nlohmann/json.hpp"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::image::layers::wcifs {

std::string WindowsPath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  size_t prefix = 0;
  // "\\?\", "\\.\" and a UNC "\\server" keep their leading pair.
  if (path.size() >= 2 && (path[0] == '\\' || path[0] == '/') && (path[1] == '\\' || path[1] == '/')) {
    out = "\\\\";
    prefix = 2;
  }
  for (size_t i = prefix; i < path.size(); ++i) {
    const char c = path[i] == '/' ? '\\' : path[i];
    if (c == '\\' && out.size() > prefix && out.back() == '\\') continue;
    out.push_back(c);
  }
  return out;
}

namespace {

namespace codes = ::silo::runtime::windows::codes;
using silo::win32::Utf8ToWide;
using silo::win32::WideToUtf8;

// hcsshim serialises PrepareLayer process-wide.
std::mutex prepare_mu;

const DriverInfo kDriverInfo{kFilterDriverFlavour, L""};

HrStatus Check(uint32_t hr, const std::string& call, const std::string& path) {
  if (hr == codes::kSOk) return HrStatus::Ok();
  return HrStatus(hr, call + " " + path);
}

// Last component of a '/' or '\\' separated path, ignoring trailing separators.
std::string BaseName(std::string path) {
  while (path.size() > 1 && (path.back() == '/' || path.back() == '\\')) path.pop_back();
  const size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The UTF-16 form of a path for the layer API.
std::wstring Wide(const std::string& path) { return Utf8ToWide(WindowsPath(path)); }

// Descriptors plus the wide strings their `path` pointers refer to.
struct Descriptors {
  std::vector<std::wstring> paths;
  std::vector<LayerDescriptor> items;
};

HrResult<Descriptors> MakeDescriptors(const LayerApi& api, const std::vector<std::string>& parents) {
  Descriptors d;
  d.paths.reserve(parents.size());
  for (const std::string& p : parents) {
    d.paths.push_back(Wide(p));
    LayerDescriptor desc{};
    const std::wstring name = Utf8ToWide(BaseName(p));
    if (uint32_t hr = api.name_to_guid(name.c_str(), &desc.layer_id); hr != codes::kSOk) {
      return HrStatus(hr, "NameToGuid " + p);
    }
    d.items.push_back(desc);
  }
  for (size_t i = 0; i < d.items.size(); ++i) d.items[i].path = d.paths[i].c_str();
  return d;
}

// How errors name a path below a root.
std::string Described(const std::string& root, const std::string& rel) { return root + "/" + rel; }

}  // namespace

bool IsTransientMountError(uint32_t hr) {
  const uint32_t n = codes::Normalize(hr);
  return n == kErrorNotReady || n == kErrorDeviceNotConnected;
}

std::string GuidToString(const Guid& g) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", static_cast<unsigned>(g.data1),
                g.data2, g.data3, g.data4[0], g.data4[1], g.data4[2], g.data4[3], g.data4[4], g.data4[5], g.data4[6],
                g.data4[7]);
  return buf;
}

HrResult<std::string> LayerCalls::LayerId(const std::string& layer_path) const {
  Guid g{};
  const std::wstring name = Utf8ToWide(BaseName(layer_path));
  if (uint32_t hr = api_->name_to_guid(name.c_str(), &g); hr != codes::kSOk) {
    return HrStatus(hr, "NameToGuid " + layer_path);
  }
  return GuidToString(g);
}

HrStatus LayerCalls::ImportLayer(const std::string& layer_path, const std::string& source_folder,
                                 const std::vector<std::string>& parents) const {
  auto d = MakeDescriptors(*api_, parents);
  if (!d.ok()) return d.status();
  const std::wstring id = Wide(layer_path);
  const std::wstring src = Wide(source_folder);
  return Check(api_->import_layer(&kDriverInfo, id.c_str(), src.c_str(), d->items.data(),
                                  static_cast<uint32_t>(d->items.size())),
               "ImportLayer", layer_path);
}

HrStatus LayerCalls::ProcessBaseImage(const std::string& layer_path) const {
  return Check(api_->process_base_image(Wide(layer_path).c_str()), "ProcessBaseImage", layer_path);
}

HrStatus LayerCalls::ProcessUtilityImage(const std::string& path) const {
  return Check(api_->process_utility_image(Wide(path).c_str()), "ProcessUtilityImage", path);
}

HrStatus LayerCalls::HcsImportLayer(const std::string& layer_path, const std::string& source_folder,
                                    const std::vector<std::string>& parents) const {
  nlohmann::json layers = nlohmann::json::array();
  for (const std::string& p : parents) {
    auto id = LayerId(p);
    if (!id.ok()) return id.status();
    layers.push_back({{"Id", *id}, {"Path", WindowsPath(p)}, {"PathType", "AbsolutePath"}});
  }
  const nlohmann::json data = {{"SchemaVersion", {{"Major", 2}, {"Minor", 0}}}, {"Layers", layers}};
  return Check(api_->hcs_import_layer(Wide(layer_path).c_str(), Wide(source_folder).c_str(),
                                      Utf8ToWide(data.dump()).c_str()),
               "HcsImportLayer", layer_path);
}

HrStatus LayerCalls::CreateSandboxLayer(const std::string& scratch_path,
                                        const std::vector<std::string>& parents) const {
  auto d = MakeDescriptors(*api_, parents);
  if (!d.ok()) return d.status();
  return Check(api_->create_sandbox_layer(&kDriverInfo, Wide(scratch_path).c_str(), nullptr, d->items.data(),
                                          static_cast<uint32_t>(d->items.size())),
               "CreateSandboxLayer", scratch_path);
}

HrStatus LayerCalls::ExpandSandboxSize(const std::string& scratch_path, uint64_t size_bytes) const {
  return Check(api_->expand_sandbox_size(&kDriverInfo, Wide(scratch_path).c_str(), size_bytes),
               "ExpandSandboxSize", scratch_path);
}

HrStatus LayerCalls::DestroyLayer(const std::string& layer_path) const {
  const std::wstring id = Wide(layer_path);
  if (api_->hcs_destroy_layer != nullptr) {
    return Check(api_->hcs_destroy_layer(id.c_str()), "HcsDestroyLayer", layer_path);
  }
  return Check(api_->destroy_layer(&kDriverInfo, id.c_str()), "DestroyLayer", layer_path);
}

HrResult<std::string> LayerCalls::Mount(const std::string& scratch_path, const std::vector<std::string>& parents,
                                        bool* leftover) const {
  if (leftover != nullptr) *leftover = false;
  auto d = MakeDescriptors(*api_, parents);
  if (!d.ok()) return d.status();
  const std::wstring id = Wide(scratch_path);
  HrStatus last;
  for (int attempt = 1; attempt <= retry_.attempts; ++attempt) {
    if (attempt > 1 && retry_.delay.count() > 0) std::this_thread::sleep_for(retry_.delay);
    last = Check(api_->activate_layer(&kDriverInfo, id.c_str()), "ActivateLayer", scratch_path);
    if (last.ok()) {
      {
        std::lock_guard<std::mutex> lock(prepare_mu);
        last = Check(api_->prepare_layer(&kDriverInfo, id.c_str(), d->items.data(),
                                         static_cast<uint32_t>(d->items.size())),
                     "PrepareLayer", scratch_path);
      }
      if (last.ok()) break;
      if (HrStatus undone = Check(api_->deactivate_layer(&kDriverInfo, id.c_str()), "DeactivateLayer", scratch_path);
          !undone.ok()) {
        // Still activated: a retry would be refused, and the caller must
        // keep what it needs to deactivate it later.
        if (leftover != nullptr) *leftover = true;
        return HrStatus(last.hr(), last.message() + "; undoing it: " + undone.message());
      }
    }
    if (!IsTransientMountError(last.hr())) return last;
  }
  if (!last.ok()) {
    return HrStatus(last.hr(), last.message() + " (after " + std::to_string(retry_.attempts) + " attempts)");
  }
  auto path = MountPath(scratch_path);
  if (!path.ok()) {
    if (HrStatus undone = UndoPartialMount(scratch_path); !undone.ok()) {
      if (leftover != nullptr) *leftover = true;
      return HrStatus(path.status().hr(), path.status().message() + "; undoing the mount: " + undone.message());
    }
  }
  return path;
}

HrResult<std::string> LayerCalls::MountPath(const std::string& scratch_path) const {
  const std::wstring id = Wide(scratch_path);
  uint64_t length = 0;
  if (uint32_t hr = api_->get_layer_mount_path(&kDriverInfo, id.c_str(), &length, nullptr); hr != codes::kSOk) {
    return HrStatus(hr, "GetLayerMountPath " + scratch_path);
  }
  if (length == 0) return HrStatus(codes::kEFail, "GetLayerMountPath " + scratch_path + ": empty path");
  std::wstring buffer(length, L'\0');
  if (uint32_t hr = api_->get_layer_mount_path(&kDriverInfo, id.c_str(), &length, buffer.data()); hr != codes::kSOk) {
    return HrStatus(hr, "GetLayerMountPath " + scratch_path);
  }
  if (size_t nul = buffer.find(L'\0'); nul != std::wstring::npos) buffer.resize(nul);
  return WideToUtf8(buffer);
}

HrStatus LayerCalls::UndoPartialMount(const std::string& scratch_path) const {
  const std::wstring id = Wide(scratch_path);
  const uint32_t unprepared = api_->unprepare_layer(&kDriverInfo, id.c_str());
  const uint32_t deactivated = api_->deactivate_layer(&kDriverInfo, id.c_str());
  // Nothing left to undo: never activated (invalid state), or the scratch
  // folder is gone; hcsshim ignores every rollback error here, Silo only
  // these, so a real failure still keeps the record for a retry.
  const uint32_t code = codes::Normalize(deactivated);
  if (deactivated == codes::kSOk || code == kErrorInvalidState || code == kErrorFileNotFound ||
      code == kErrorPathNotFound) {
    return HrStatus::Ok();
  }
  std::string message = "DeactivateLayer " + scratch_path;
  if (unprepared != codes::kSOk) {
    char code[16];
    std::snprintf(code, sizeof(code), "0x%08X", unprepared);
    message += std::string(" (UnprepareLayer failed first: ") + code + ")";
  }
  return HrStatus(deactivated, message);
}

HrStatus LayerCalls::Unmount(const std::string& scratch_path) const {
  const std::wstring id = Wide(scratch_path);
  // As hcsshim's WCIFS layer closer: the volume cannot be detached while
  // the filter is attached, so a failed Unprepare stops here (the caller
  // keeps its record and retries the whole release).
  HrStatus unprepare = Check(api_->unprepare_layer(&kDriverInfo, id.c_str()), "UnprepareLayer", scratch_path);
  if (!unprepare.ok()) return unprepare;
  return Check(api_->deactivate_layer(&kDriverInfo, id.c_str()), "DeactivateLayer", scratch_path);
}

HrStatus LayerCalls::EnablePrivileges(const std::vector<std::string>& names) const {
  std::vector<std::wstring> wide;
  std::vector<const wchar_t*> ptrs;
  std::string joined;
  for (const auto& n : names) {
    wide.push_back(Utf8ToWide(n));
    joined += (joined.empty() ? "" : ",") + n;
  }
  for (const auto& w : wide) ptrs.push_back(w.c_str());
  return Check(api_->enable_thread_privileges(ptrs.data(), static_cast<uint32_t>(ptrs.size())), "EnablePrivileges",
               joined);
}

HrStatus LayerCalls::RevertToSelf() const { return Check(api_->revert_to_self(), "RevertToSelf", "thread"); }


HrStatus LayerCalls::BackupWriteRelative(const std::string& root, const std::string& rel, const FileBasicInfo& info,
                                         const std::string& stream, bool process_security) const {
  return Check(api_->backup_write_relative(Wide(root).c_str(), Utf8ToWide(rel).c_str(), &info,
                                           reinterpret_cast<const uint8_t*>(stream.data()), stream.size(),
                                           process_security),
               "BackupWrite", Described(root, rel));
}

HrStatus LayerCalls::SetFileBasicInfoRelative(const std::string& root, const std::string& rel,
                                              const FileBasicInfo& info) const {
  return Check(api_->set_file_basic_info_relative(Wide(root).c_str(), Utf8ToWide(rel).c_str(), &info),
               "SetFileInformationByHandle", Described(root, rel));
}

HrStatus LayerCalls::MkdirRelative(const std::string& root, const std::string& rel) const {
  return Check(api_->mkdir_relative(Wide(root).c_str(), Utf8ToWide(rel).c_str()), "CreateDirectory",
               Described(root, rel));
}

HrStatus LayerCalls::MkdirAllRelative(const std::string& root, const std::string& rel) const {
  for (size_t end = 0; end != std::string::npos;) {
    end = rel.find('/', end + 1);
    HrStatus s = MkdirRelative(root, rel.substr(0, end));
    if (!s.ok()) return s;
  }
  return HrStatus::Ok();
}

HrResult<uint32_t> LayerCalls::LstatRelative(const std::string& root, const std::string& rel) const {
  uint32_t attributes = 0;
  HrStatus s = Check(api_->lstat_relative(Wide(root).c_str(), Utf8ToWide(rel).c_str(), &attributes),
                     "GetFileInformationByHandle", Described(root, rel));
  if (!s.ok()) return s;
  return attributes;
}

HrStatus LayerCalls::RemoveAllRelative(const std::string& root, const std::string& rel) const {
  return Check(api_->remove_all_relative(Wide(root).c_str(), Utf8ToWide(rel).c_str()), "Delete",
               Described(root, rel));
}

HrStatus LayerCalls::LinkRelative(const std::string& existing_root, const std::string& existing_rel,
                                  const std::string& new_root, const std::string& new_rel) const {
  return Check(api_->link_relative(Wide(existing_root).c_str(), Utf8ToWide(existing_rel).c_str(),
                                   Wide(new_root).c_str(), Utf8ToWide(new_rel).c_str()),
               "CreateHardLink", Described(new_root, new_rel) + " -> " + Described(existing_root, existing_rel));
}

}  // namespace silo::image::layers::wcifs
