#pragma once
// FakeLayerApi: an in-memory vmcompute/computestorage layer API behind a
// LayerApi table, so import ordering, retries, privilege handling and
// cleanup run on Linux. It records every call (with the calling thread's
// privilege state and begin/end sequence numbers, to check overlap and
// order), injects failures per call kind (consumed in order), tracks which
// scratch layers are activated/prepared, and performs the file primitives
// on the real (Linux) file system so tests can inspect what was written:
//   backup_write_relative  writes the raw stream bytes (directories: mkdir);
//                          a stream with reparse data (junction, symlink)
//                          becomes a reparse point instead
//   import_layer           copies the staged transport files into the layer
//                          (bytes unchanged, ".$wcidirs$" files become
//                          folders, entries with reparse data reparse points)
//
// Reparse points are Linux symlinks, pointing at reparse_target() (a test
// makes that an "outside" folder and checks it stays untouched). The
// relative primitives are STRICT, modelling NtCreateFile with a root handle
// and OBJ_DONT_REPARSE: names go through relative_path.h; a symlink as any
// component but the last is kHrReparsePointEncountered; the last component
// is treated as api.h says per call (opened or removed as the link itself,
// never followed); names match case-insensitively (ASCII), as Win32 opens
// do; missing parents are ERROR_PATH_NOT_FOUND, never created.
// NameToGuid is deterministic (FNV-1a of the name, shaped as a v5 UUID).
//
// The layer lifecycle is STRICT too, refusing what vmcompute refuses (or
// what would leak on a real host): a layer id is a folder on disk (an
// unknown one is ERROR_PATH_NOT_FOUND, also as a parent);
// CreateSandboxLayer needs the folder to exist and writes sandbox.vhdx
// (kFakeScratchVhdBytes bytes), refusing an existing one; ActivateLayer
// needs sandbox.vhdx and refuses a second activation; PrepareLayer needs an
// activated, unprepared scratch (ERROR_INVALID_STATE); a second Unprepare
// or Deactivate is ERROR_INVALID_STATE, deactivating a prepared scratch and
// destroying an activated or prepared one ERROR_BUSY. Calls are recorded in
// order (Calls()), refused ones included.
//
// The table holds plain function pointers, so at most one FakeLayerApi may
// be alive per process (checked). All methods are thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "image/layers/wcifs/api.h"

namespace silo::image::layers::wcifs {

enum class LayerCall {
  kImportLayer, kActivateLayer, kPrepareLayer, kUnprepareLayer, kDeactivateLayer, kGetLayerMountPath,
  kDestroyLayer, kExpandSandboxSize, kNameToGuid, kProcessBaseImage, kProcessUtilityImage, kCreateSandboxLayer,
  kHcsImportLayer, kHcsSetupBaseOsLayer, kHcsInitializeWritableLayer, kHcsAttachLayerStorageFilter,
  kHcsDetachLayerStorageFilter, kHcsDestroyLayer, kEnableThreadPrivileges, kRevertToSelf,
  // The relative layer-content primitives.
  kBackupWriteFile, kSetFileBasicInfo, kMkdir, kLstat, kRemoveAll, kLink,
};

struct FakeLayerCall {
  LayerCall call;
  std::string path;                  // id / layer path / file path (UTF-8); relative calls: root + "/" + rel
  std::string root, rel;             // relative calls (kLink: of the new name)
  std::string arg;                   // source folder, JSON, privilege names, link's existing root/rel ...
  uint32_t hr = 0;                   // what the call returned
  std::vector<std::string> parents;  // descriptor paths, in order
  uint64_t number = 0;               // ExpandSandboxSize size, stream size
  FileBasicInfo info{};              // file primitives
  bool privileged = false;           // the thread had enabled privileges
  std::thread::id thread;
  uint64_t begin_seq = 0, end_seq = 0;
};

inline constexpr size_t kFakeScratchVhdBytes = 4096;

class FakeLayerApi {
 public:
  FakeLayerApi();
  ~FakeLayerApi();
  FakeLayerApi(const FakeLayerApi&) = delete;
  FakeLayerApi& operator=(const FakeLayerApi&) = delete;

  const LayerApi* api() const { return &api_; }
  // Drops the computestorage entries, as on a host without computestorage.dll.
  void RemoveComputeStorage();

  // The next `times` calls of `call` return `hr` without effect.
  void Inject(LayerCall call, uint32_t hr, int times = 1);
  // Runs `hook` at the start of every `call` (outside the fake's lock), so a
  // test can hold a call until something else has happened.
  void SetHook(LayerCall call, std::function<void(const FakeLayerCall&)> hook);
  // Waits until `pred(calls)` holds or `timeout` passes; returns whether it held.
  bool WaitFor(const std::function<bool(const std::vector<FakeLayerCall>&)>& pred,
               std::chrono::milliseconds timeout);

  std::vector<FakeLayerCall> Calls() const;
  std::vector<FakeLayerCall> Calls(LayerCall call) const;
  bool IsActivated(const std::string& scratch) const;
  bool IsPrepared(const std::string& scratch) const;
  // Every scratch currently activated / prepared.
  std::set<std::string> Activated() const;
  std::set<std::string> Prepared() const;
  int max_concurrent_imports() const;

  // Where every reparse point the fake creates points (default: a path that
  // does not exist).
  void SetReparseTarget(const std::string& host_folder);
  // Plants a reparse point (a directory symlink to `target`) at `path`, as a
  // parent layer or an earlier entry could have left one.
  static void CreateReparsePoint(const std::string& path, const std::string& target);

 private:
  friend struct FakeTrampolines;
  // Records `rec`, applies an injected fault or runs `effect` (under mu_).
  uint32_t Run(FakeLayerCall rec, const std::function<uint32_t()>& effect);
  // DestroyLayer/HcsDestroyLayer's effect (mu_ held).
  uint32_t DestroyLocked(const std::string& path);

  LayerApi api_{};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<FakeLayerCall> calls_;
  std::map<LayerCall, std::deque<uint32_t>> faults_;
  std::map<LayerCall, std::function<void(const FakeLayerCall&)>> hooks_;
  uint64_t seq_ = 0;
  int imports_in_flight_ = 0;
  int max_imports_in_flight_ = 0;

  std::string reparse_target_ = "/nonexistent/silo-fake-reparse-target";
  std::set<std::string> activated_;  // scratch paths
  std::set<std::string> prepared_;
};

}  // namespace silo::image::layers::wcifs
