#pragma once
// LayerApi: the vmcompute.dll layer functions, the computestorage.dll layer
// functions and the few host file/privilege primitives the importer needs,
// as one table of plain function pointers. Only api_win32.cc (LoadLibrary +
// GetProcAddress, mingw/Windows only) knows Win32; Linux tests fill the
// table with FakeLayerApi. Types are plain so this header compiles
// everywhere: strings are `const wchar_t*` (UTF-16 on Windows), HRESULTs
// uint32_t. On x64 the structs match the Windows layouts (static_asserted in
// api_win32.cc).
//
// vmcompute calls take a DriverInfo and the layer's full path as its id
// (HomeDir ""), as hcsshim does. Parent descriptors are ordered nearest
// parent first, base last. computestorage entries are optional (null when
// the host's DLL lacks them). The table is immutable after loading and safe
// to share between threads; thread-safety of the calls is the OS's (see
// layer_calls.h for the serialisation we add).

#include <cstdint>

namespace silo::image::layers::wcifs {

struct Guid {
  uint32_t data1;
  uint16_t data2;
  uint16_t data3;
  uint8_t data4[8];
};

// hcsshim driverInfo: {int Flavour; PCWSTR HomeDir}.
struct DriverInfo {
  int32_t flavour;  // 1 = filter driver (WCIFS)
  const wchar_t* home_dir;
};
inline constexpr int32_t kFilterDriverFlavour = 1;

// WC_LAYER_DESCRIPTOR: {GUID LayerId; ULONG Flags; PCWSTR Path}.
struct LayerDescriptor {
  Guid layer_id;
  uint32_t flags;  // bit 31: dirty
  const wchar_t* path;
};

// FILE_BASIC_INFO: times are FILETIME ticks; attributes 0 = leave unchanged.
struct FileBasicInfo {
  int64_t creation_time;
  int64_t last_access_time;
  int64_t last_write_time;
  int64_t change_time;
  uint32_t file_attributes;
  uint32_t reserved;
};

struct LayerApi {
  // vmcompute.dll.
  uint32_t (*import_layer)(const DriverInfo* info, const wchar_t* id, const wchar_t* source_folder,
                           const LayerDescriptor* parents, uint32_t parent_count);
  uint32_t (*activate_layer)(const DriverInfo* info, const wchar_t* id);
  uint32_t (*prepare_layer)(const DriverInfo* info, const wchar_t* id, const LayerDescriptor* parents,
                            uint32_t parent_count);
  uint32_t (*unprepare_layer)(const DriverInfo* info, const wchar_t* id);
  uint32_t (*deactivate_layer)(const DriverInfo* info, const wchar_t* id);
  // *length is in wchar_t including the NUL; call with buffer null to size it.
  uint32_t (*get_layer_mount_path)(const DriverInfo* info, const wchar_t* id, uint64_t* length, wchar_t* buffer);
  uint32_t (*destroy_layer)(const DriverInfo* info, const wchar_t* id);
  uint32_t (*expand_sandbox_size)(const DriverInfo* info, const wchar_t* id, uint64_t size);
  uint32_t (*name_to_guid)(const wchar_t* name, Guid* guid);
  uint32_t (*process_base_image)(const wchar_t* path);
  uint32_t (*process_utility_image)(const wchar_t* path);
  // `parent` is reserved (null), as hcsshim passes it.
  uint32_t (*create_sandbox_layer)(const DriverInfo* info, const wchar_t* id, const wchar_t* parent,
                                   const LayerDescriptor* parents, uint32_t parent_count);

  // computestorage.dll (optional).
  uint32_t (*hcs_import_layer)(const wchar_t* layer_path, const wchar_t* source_folder, const wchar_t* layer_data);
  uint32_t (*hcs_setup_base_os_layer)(const wchar_t* layer_path, void* vhd_handle, const wchar_t* options);
  uint32_t (*hcs_initialize_writable_layer)(const wchar_t* layer_path, const wchar_t* layer_data,
                                            const wchar_t* options);
  uint32_t (*hcs_attach_layer_storage_filter)(const wchar_t* layer_path, const wchar_t* layer_data);
  uint32_t (*hcs_detach_layer_storage_filter)(const wchar_t* layer_path);
  uint32_t (*hcs_destroy_layer)(const wchar_t* layer_path);

  // Host primitives (kernel32/advapi32 on Windows).
  // Impersonates self on the calling thread and enables the named privileges
  // (SeBackupPrivilege ...) on that token; revert_to_self undoes it.
  uint32_t (*enable_thread_privileges)(const wchar_t* const* names, uint32_t count);
  uint32_t (*revert_to_self)();

  // Layer-content primitives. Every write, mkdir, delete and link the
  // importer makes inside a layer (or its staging folder) goes through one
  // of these, never through a joined absolute path: a layer tar controls
  // the names and can plant junctions and symlinks, and with SeBackup and
  // SeRestore enabled a write through `Files\j` (a junction to C:\) would
  // land anywhere on the host.
  //
  // `root` is an absolute folder Silo owns (opened as a "\\?\" long path,
  // so WinSxS-deep layers beyond MAX_PATH work); `rel` is relative to it
  // and must pass relative_path.h, else kHrInvalidRelativePath. Every call
  // fails with kHrReparsePointEncountered when a component of `rel` other
  // than the last is a reparse point; what happens to the LAST component is
  // said per call ("the link itself": a reparse point there is opened or
  // removed as itself, never followed). Missing parents give
  // HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND); nothing is created implicitly.
  //
  // Creates `rel` (a directory when info->file_attributes has
  // FILE_ATTRIBUTE_DIRECTORY, opened if it exists; else a new file, failing
  // if anything exists there), sets `info`, and BackupWrites `stream` into
  // it, restoring security when `process_security`. An existing reparse
  // point at a directory entry is kHrReparsePointEncountered: it is never
  // written into (its streams and security would be the link's).
  uint32_t (*backup_write_relative)(const wchar_t* root, const wchar_t* rel, const FileBasicInfo* info,
                                    const uint8_t* stream, uint64_t stream_size, bool process_security);
  // Sets times/attributes of `rel` (the link itself when it is one).
  uint32_t (*set_file_basic_info_relative)(const wchar_t* root, const wchar_t* rel, const FileBasicInfo* info);
  // Creates directory `rel`; an existing directory is fine, a reparse point
  // there (even one to a directory) is kHrReparsePointEncountered.
  uint32_t (*mkdir_relative)(const wchar_t* root, const wchar_t* rel);
  // FILE_ATTRIBUTE_* of `rel` itself (the link itself); a missing `rel` is
  // HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) or ERROR_PATH_NOT_FOUND.
  uint32_t (*lstat_relative)(const wchar_t* root, const wchar_t* rel, uint32_t* attributes);
  // Deletes `rel` and, for a real directory, everything below it. A reparse
  // point (here or found while recursing) is deleted as itself; its target
  // is never entered. Missing is success (a tombstone for a parent's file).
  uint32_t (*remove_all_relative)(const wchar_t* root, const wchar_t* rel);
  // Hard link `new_rel` (under `new_root`) to the file `existing_rel`
  // (under `existing_root`, the same or a parent layer folder), replacing a
  // non-directory at `new_rel` (a file symlink there is replaced as itself;
  // a directory, junctions included, is HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)). Both paths
  // are checked; an `existing_rel` that is itself a reparse point is
  // kHrReparsePointEncountered too (it would link the link, not a file).
  uint32_t (*link_relative)(const wchar_t* existing_root, const wchar_t* existing_rel, const wchar_t* new_root,
                            const wchar_t* new_rel);
};

}  // namespace silo::image::layers::wcifs
