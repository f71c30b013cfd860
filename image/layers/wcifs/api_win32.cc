// Windows only (mingw build): binds LayerApi to vmcompute.dll and computestorage.dll.
#include "image/layers/wcifs/api_win32.h"

#include <windows.h>

#include <cstddef>
#include <string>

#include "image/layers/wcifs/relative_fs_win32.h"

namespace silo::image::layers::wcifs {
namespace {

static_assert(sizeof(wchar_t) == sizeof(WCHAR));
static_assert(sizeof(Guid) == sizeof(GUID));
static_assert(sizeof(LayerDescriptor) == 32 && offsetof(LayerDescriptor, path) == 24);
static_assert(sizeof(DriverInfo) == 16 && offsetof(DriverInfo, home_dir) == 8);
static_assert(sizeof(FileBasicInfo) == sizeof(FILE_BASIC_INFO));
static_assert(offsetof(FileBasicInfo, file_attributes) == offsetof(FILE_BASIC_INFO, FileAttributes));

template <typename Slot>
bool Bind(HMODULE dll, const char* name, Slot& slot) {
  FARPROC proc = dll == nullptr ? nullptr : GetProcAddress(dll, name);
  if (proc == nullptr) return false;
  slot = reinterpret_cast<Slot>(reinterpret_cast<void (*)()>(proc));
  return true;
}

uint32_t LastErrorHr() { return static_cast<uint32_t>(HRESULT_FROM_WIN32(GetLastError())); }

uint32_t EnableThreadPrivileges(const wchar_t* const* names, uint32_t count) {
  if (!ImpersonateSelf(SecurityImpersonation)) return LastErrorHr();
  HANDLE token = nullptr;
  if (!OpenThreadToken(GetCurrentThread(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, FALSE, &token)) {
    const uint32_t hr = LastErrorHr();
    RevertToSelf();
    return hr;
  }
  uint32_t hr = 0;
  for (uint32_t i = 0; i < count && hr == 0; ++i) {
    TOKEN_PRIVILEGES tp{};
    tp.PrivilegeCount = 1;
    tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    if (!LookupPrivilegeValueW(nullptr, names[i], &tp.Privileges[0].Luid) ||
        !AdjustTokenPrivileges(token, FALSE, &tp, 0, nullptr, nullptr) || GetLastError() != ERROR_SUCCESS) {
      hr = LastErrorHr();  // ERROR_NOT_ALL_ASSIGNED when the account lacks it
    }
  }
  CloseHandle(token);
  if (hr != 0) RevertToSelf();
  return hr;
}

uint32_t Revert() { return RevertToSelf() ? 0 : LastErrorHr(); }

HrResult<const LayerApi*> Load() {
  HMODULE vmcompute = LoadLibraryExW(L"vmcompute.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (vmcompute == nullptr) return HrStatus(LastErrorHr(), "LoadLibraryExW vmcompute.dll");
  HMODULE storage = LoadLibraryExW(L"computestorage.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  auto* api = new LayerApi();  // lives as long as the process, like the DLLs
  std::string missing;
  const auto need = [&](bool ok, const char* name) {
    if (!ok) missing += (missing.empty() ? "" : ", ") + std::string(name);
  };
  need(Bind(vmcompute, "ImportLayer", api->import_layer), "ImportLayer");
  need(Bind(vmcompute, "ActivateLayer", api->activate_layer), "ActivateLayer");
  need(Bind(vmcompute, "PrepareLayer", api->prepare_layer), "PrepareLayer");
  need(Bind(vmcompute, "UnprepareLayer", api->unprepare_layer), "UnprepareLayer");
  need(Bind(vmcompute, "DeactivateLayer", api->deactivate_layer), "DeactivateLayer");
  need(Bind(vmcompute, "GetLayerMountPath", api->get_layer_mount_path), "GetLayerMountPath");
  need(Bind(vmcompute, "DestroyLayer", api->destroy_layer), "DestroyLayer");
  need(Bind(vmcompute, "ExpandSandboxSize", api->expand_sandbox_size), "ExpandSandboxSize");
  need(Bind(vmcompute, "NameToGuid", api->name_to_guid), "NameToGuid");
  need(Bind(vmcompute, "ProcessBaseImage", api->process_base_image), "ProcessBaseImage");
  need(Bind(vmcompute, "ProcessUtilityImage", api->process_utility_image), "ProcessUtilityImage");
  need(Bind(vmcompute, "CreateSandboxLayer", api->create_sandbox_layer), "CreateSandboxLayer");
  if (!missing.empty()) {
    delete api;
    return HrStatus(static_cast<uint32_t>(HRESULT_FROM_WIN32(ERROR_PROC_NOT_FOUND)), "vmcompute.dll lacks " + missing);
  }
  // Optional: older hosts have no computestorage.dll.
  Bind(storage, "HcsImportLayer", api->hcs_import_layer);
  Bind(storage, "HcsSetupBaseOSLayer", api->hcs_setup_base_os_layer);
  Bind(storage, "HcsInitializeWritableLayer", api->hcs_initialize_writable_layer);
  Bind(storage, "HcsAttachLayerStorageFilter", api->hcs_attach_layer_storage_filter);
  Bind(storage, "HcsDetachLayerStorageFilter", api->hcs_detach_layer_storage_filter);
  Bind(storage, "HcsDestroyLayer", api->hcs_destroy_layer);
  api->enable_thread_privileges = &EnableThreadPrivileges;
  api->revert_to_self = &Revert;
  if (HrStatus bound = BindRelativeFileCalls(api); !bound.ok()) {
    delete api;
    return bound;
  }
  return static_cast<const LayerApi*>(api);
}

}  // namespace

HrResult<const LayerApi*> LoadLayerApi() {
  static const HrResult<const LayerApi*> loaded = Load();
  return loaded;
}

}  // namespace silo::image::layers::wcifs
