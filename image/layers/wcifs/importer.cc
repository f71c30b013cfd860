#include "image/layers/wcifs/importer.h"

#include <filesystem>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/ids.h"
#include "runtime/base/status_macros.h"
#include "image/layers/wcifs/transport.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hresult.h"

namespace silo::image::layers::wcifs {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kImportPrivileges = {"SeBackupPrivilege", "SeRestorePrivilege",
                                                    "SeSecurityPrivilege"};

// runtime::windows::HrStatusToStatus, except that a refused name or a reparse
// point on the way is the layer's fault, not the host's: InvalidArgument
// naming the entry.
absl::Status LayerCallToStatus(const HrStatus& s, absl::string_view operation, const std::string& object) {
  if (s.ok()) return absl::OkStatus();
  if (s.hr() == kHrReparsePointEncountered || s.hr() == kHrInvalidRelativePath) {
    return absl::InvalidArgumentError(
        absl::StrCat(operation, " ", object, ": refused, the layer would write through a link or outside itself (",
                     s.message(), ")"));
  }
  return runtime::windows::HrStatusToStatus(s, operation, object);
}

constexpr uint32_t kFileAttributeReparsePoint = 0x400;
constexpr uint32_t kHrFileNotFound = 0x80070002;
constexpr uint32_t kHrPathNotFound = 0x80070003;

std::string Join(const std::string& root, const std::string& rel) { return absl::StrCat(root, "/", rel); }

bool IsComplete(const std::string& layer_path) {
  std::error_code ec;
  return fs::exists(Join(layer_path, kImportedMarker), ec);
}

// Splits an absolute folder path into (parent, last component), so the
// folder can be removed by a relative call rooted at its parent. Windows
// paths may use either separator.
bool SplitParent(std::string path, std::string* parent, std::string* name) {
  while (path.size() > 1 && (path.back() == '/' || path.back() == '\\')) path.pop_back();
  const size_t slash = path.find_last_of("/\\");
  if (slash == std::string::npos || slash == 0 || slash + 1 == path.size()) return false;
  *parent = path.substr(0, slash);
  *name = path.substr(slash + 1);
  return true;
}

absl::Status WriteLayerChain(const std::string& layer_path, const std::vector<std::string>& parents) {
  return AtomicWriteFile(Join(layer_path, kLayerChainFile), nlohmann::json(parents).dump());
}

// Reads file entry bytes through the source, in order.
absl::Status ReadEntry(const LayerSource& source, size_t index, std::string* data,
                       std::vector<AlternateStream>* streams) {
  data->clear();
  streams->clear();
  if (source.plan.entries[index].kind != WindowsEntryKind::kFile) return absl::OkStatus();
  if (!source.read) return absl::InvalidArgumentError("layer source has no reader");
  return source.read(index, data, streams);
}

// Links `link.path` in the layer to `link.target`, found in the layer itself
// or else in the nearest parent that has it. Both lookups and the link are
// relative calls, so neither name can lead through a junction.
absl::Status CreateHardLink(const LayerCalls& calls, const std::string& layer_path,
                            const std::vector<std::string>& parents, const HardLink& link) {
  std::vector<std::string> roots = {layer_path};
  roots.insert(roots.end(), parents.begin(), parents.end());
  for (const std::string& root : roots) {
    HrResult<uint32_t> attributes = calls.LstatRelative(root, link.target);
    if (!attributes.ok()) {
      const uint32_t hr = attributes.status().hr();
      if (hr == kHrFileNotFound || hr == kHrPathNotFound) continue;
      return LayerCallToStatus(attributes.status(), "hard link target", Join(root, link.target));
    }
    return LayerCallToStatus(calls.LinkRelative(root, link.target, layer_path, link.path), "CreateHardLink",
                    Join(layer_path, link.path));
  }
  return absl::NotFoundError(absl::StrCat("hard link \"", link.path, "\": target \"", link.target,
                                          "\" is in neither the layer nor its parents"));
}

// ProcessBaseImage/ProcessUtilityImage take whole folders by path: refuse a
// layer whose Files or UtilityVM is itself a link (the tar walker already
// does; this holds whatever planted it).
absl::Status EnsureRealFolder(const LayerCalls& calls, const std::string& layer_path, const std::string& name) {
  HrResult<uint32_t> attributes = calls.LstatRelative(layer_path, name);
  if (!attributes.ok()) {
    const uint32_t hr = attributes.status().hr();
    if (hr == kHrFileNotFound || hr == kHrPathNotFound) return absl::OkStatus();
    return LayerCallToStatus(attributes.status(), "stat", Join(layer_path, name));
  }
  if ((*attributes & kFileAttributeReparsePoint) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("layer ", layer_path, ": \"", name, "\" is a reparse point, not a folder"));
  }
  return absl::OkStatus();
}

// Enables the backup/restore privileges for this thread until destroyed.
class PrivilegeScope {
 public:
  explicit PrivilegeScope(const LayerCalls& calls) : calls_(calls) {
    status_ = LayerCallToStatus(calls_.EnablePrivileges(kImportPrivileges), "EnablePrivileges", "importing thread");
  }
  ~PrivilegeScope() {
    if (status_.ok()) (void)calls_.RevertToSelf();
  }
  const absl::Status& status() const { return status_; }

 private:
  const LayerCalls& calls_;
  absl::Status status_;
};

}  // namespace

FileBasicInfo BasicInfoFor(const WindowsEntry& e, bool with_attributes) {
  FileBasicInfo info{};
  const int64_t mtime = UnixToFileTime(e.mtime_sec);
  info.creation_time = e.has_creation_time ? UnixToFileTime(e.creation_time_sec, e.creation_time_nsec) : mtime;
  info.last_access_time = mtime;
  info.last_write_time = mtime;
  info.change_time = mtime;
  info.file_attributes = with_attributes ? e.attributes : 0;
  return info;
}

absl::Status Importer::RemoveIfIncomplete(const std::string& layer_path) {
  if (IsComplete(layer_path)) return absl::OkStatus();
  std::string parent, name;
  if (!SplitParent(layer_path, &parent, &name)) {
    return absl::InvalidArgumentError(absl::StrCat("layer path \"", layer_path, "\" has no parent folder"));
  }
  // Missing is success, so a first import pays one cheap call.
  return LayerCallToStatus(calls_.RemoveAllRelative(parent, name), "removing incomplete layer", layer_path);
}

absl::Status Importer::RemoveIncomplete(const std::string& layers_root) {
  PrivilegeScope privileges(calls_);
  SILO_RETURN_IF_ERROR(privileges.status());
  // Listing by path is harmless; only the removal must not follow links,
  // and that goes through the relative call.
  std::vector<std::string> layers, stages;
  std::error_code ec;
  for (fs::directory_iterator it(layers_root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) layers.push_back(it->path().filename().string());
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return absl::InternalError(absl::StrCat("listing layers root ", layers_root, ": ", ec.message()));
  }
  absl::Status first;
  for (const std::string& name : layers) {
    const std::string layer = Join(layers_root, name);
    if (IsComplete(layer)) continue;
    absl::Status s =
        LayerCallToStatus(calls_.RemoveAllRelative(layers_root, name), "removing incomplete layer", layer);
    if (!s.ok() && first.ok()) first = s;
  }
  // Staging folders are only alive during an import; at start-up any left
  // is garbage from a crash.
  ec.clear();
  if (!options_.staging_root.empty()) {
    for (fs::directory_iterator it(options_.staging_root, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.starts_with("stage-")) stages.push_back(name);
    }
  }
  for (const std::string& name : stages) {
    absl::Status s = LayerCallToStatus(calls_.RemoveAllRelative(options_.staging_root, name), "removing staging",
                                       Join(options_.staging_root, name));
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

absl::Status Importer::WriteBaseFiles(const std::string& layer_path, const LayerSource& source) {
  SILO_RETURN_IF_ERROR(MakeDirs(layer_path));
  std::string data;
  std::vector<AlternateStream> streams;
  for (size_t i = 0; i < source.plan.entries.size(); ++i) {
    const WindowsEntry& e = source.plan.entries[i];
    if (e.kind == WindowsEntryKind::kHardLink) continue;  // after all files exist
    if (e.kind == WindowsEntryKind::kWhiteout || e.kind == WindowsEntryKind::kOpaqueDirectory) {
      return absl::InvalidArgumentError(absl::StrCat("base layer ", layer_path, " has a whiteout for \"", e.path, "\""));
    }
    SILO_RETURN_IF_ERROR(ReadEntry(source, i, &data, &streams));
    SILO_ASSIGN_OR_RETURN(std::string stream, EncodeBackupStream(e, data, streams));
    FileBasicInfo info = BasicInfoFor(e, true);
    if (e.kind == WindowsEntryKind::kDirectory) info.file_attributes |= kFileAttributeDirectoryBit;
    SILO_RETURN_IF_ERROR(LayerCallToStatus(calls_.BackupWriteRelative(layer_path, e.path, info, stream, true), "BackupWrite",
                                  Join(layer_path, e.path)));
  }
  return absl::OkStatus();
}

absl::Status Importer::Stage(const std::string& staging, const LayerSource& source) {
  SILO_ASSIGN_OR_RETURN(StagingPlan plan, PlanDiffStaging(source.plan));
  SILO_RETURN_IF_ERROR(MakeDirs(staging));
  std::string data;
  std::vector<AlternateStream> streams;
  for (const StagedItem& item : plan.items) {
    const WindowsEntry& e = source.plan.entries[item.entry_index];
    // Folders are made with relative calls, which refuse a reparse point on
    // the way: staged hives are BackupWritten, so a hostile "Hives/x" link
    // could exist here. Transport files are then written by path into a
    // parent just checked; the staging folder is private to this thread.
    if (!item.make_directory.empty()) {
      SILO_RETURN_IF_ERROR(LayerCallToStatus(calls_.MkdirAllRelative(staging, item.make_directory), "CreateDirectory",
                                    Join(staging, item.make_directory)));
    }
    const std::string file = Join(staging, item.file);
    if (const size_t slash = item.file.rfind('/'); slash != std::string::npos) {
      const std::string parent = item.file.substr(0, slash);
      SILO_RETURN_IF_ERROR(
          LayerCallToStatus(calls_.MkdirAllRelative(staging, parent), "CreateDirectory", Join(staging, parent)));
    }
    SILO_RETURN_IF_ERROR(ReadEntry(source, item.entry_index, &data, &streams));
    const FileBasicInfo info = BasicInfoFor(e, false);
    if (item.method == StageMethod::kTransportFile) {
      SILO_ASSIGN_OR_RETURN(std::string bytes, EncodeTransportFile(e, data, streams));
      SILO_RETURN_IF_ERROR(AtomicWriteFile(file, bytes));
      SILO_RETURN_IF_ERROR(
          LayerCallToStatus(calls_.SetFileBasicInfoRelative(staging, item.file, info), "SetFileBasicInfo", file));
    } else {
      SILO_ASSIGN_OR_RETURN(std::string stream, EncodeBackupStream(e, data, streams, {.include_security = false}));
      SILO_RETURN_IF_ERROR(
          LayerCallToStatus(calls_.BackupWriteRelative(staging, item.file, info, stream, false), "BackupWrite", file));
    }
  }
  return absl::OkStatus();
}

absl::Status Importer::FinishDiff(const std::string& layer_path, const std::vector<std::string>& parents,
                                  const std::string& staging, const LayerSource& source) {
  SILO_ASSIGN_OR_RETURN(StagingPlan plan, PlanDiffStaging(source.plan));
  if (options_.use_computestorage && calls_.api().hcs_import_layer != nullptr) {
    SILO_RETURN_IF_ERROR(
        LayerCallToStatus(calls_.HcsImportLayer(layer_path, staging, parents), "HcsImportLayer", layer_path));
  } else {
    SILO_RETURN_IF_ERROR(LayerCallToStatus(calls_.ImportLayer(layer_path, staging, parents), "ImportLayer", layer_path));
  }
  for (const std::string& t : plan.tombstones) {
    SILO_RETURN_IF_ERROR(LayerCallToStatus(calls_.RemoveAllRelative(layer_path, t), "tombstone", Join(layer_path, t)));
  }
  for (const HardLink& link : plan.hard_links) {
    SILO_RETURN_IF_ERROR(CreateHardLink(calls_, layer_path, parents, link));
  }
  for (size_t index : plan.directory_times) {
    const WindowsEntry& e = source.plan.entries[index];
    SILO_RETURN_IF_ERROR(LayerCallToStatus(calls_.SetFileBasicInfoRelative(layer_path, e.path, BasicInfoFor(e, true)),
                                  "SetFileBasicInfo", Join(layer_path, e.path)));
  }
  return absl::OkStatus();
}

absl::Status Importer::ImportOnThisThread(const std::string& layer_path, const std::vector<std::string>& parents,
                                          const LayerSource& source, const std::function<absl::Status()>& wait_parent) {
  PrivilegeScope privileges(calls_);
  SILO_RETURN_IF_ERROR(privileges.status());
  // This thread owns the layer (single flight) and Run saw no marker: what
  // is there is a failed attempt's debris, which would make every create
  // below fail with ERROR_FILE_EXISTS.
  SILO_RETURN_IF_ERROR(RemoveIfIncomplete(layer_path));
  const bool base = parents.empty();
  std::string staging, staging_name;
  // Relative removal: staged hives may include links, which a path-based
  // recursive delete could follow out of the staging folder.
  absl::Cleanup remove_staging = [&] {
    if (!staging_name.empty()) (void)calls_.RemoveAllRelative(options_.staging_root, staging_name);
  };
  if (base) {
    SILO_RETURN_IF_ERROR(WriteBaseFiles(layer_path, source));
  } else {
    staging_name = absl::StrCat("stage-", NewId());
    staging = Join(options_.staging_root, staging_name);
    SILO_RETURN_IF_ERROR(Stage(staging, source));
  }
  SILO_RETURN_IF_ERROR(wait_parent());
  if (base) {
    for (const WindowsEntry& e : source.plan.entries) {
      if (e.kind != WindowsEntryKind::kHardLink) continue;
      SILO_RETURN_IF_ERROR(CreateHardLink(calls_, layer_path, {}, HardLink{e.path, e.link_target}));
    }
    for (const WindowsEntry& e : source.plan.entries) {
      if (e.kind != WindowsEntryKind::kDirectory) continue;
      SILO_RETURN_IF_ERROR(LayerCallToStatus(calls_.SetFileBasicInfoRelative(layer_path, e.path, BasicInfoFor(e, true)),
                                    "SetFileBasicInfo", Join(layer_path, e.path)));
    }
    SILO_RETURN_IF_ERROR(EnsureRealFolder(calls_, layer_path, "Files"));
    SILO_RETURN_IF_ERROR(EnsureRealFolder(calls_, layer_path, "UtilityVM"));
    SILO_RETURN_IF_ERROR(LayerCallToStatus(calls_.ProcessBaseImage(layer_path), "ProcessBaseImage", layer_path));
    if (source.plan.has_utility_vm) {
      const std::string uvm = Join(layer_path, "UtilityVM");
      SILO_RETURN_IF_ERROR(LayerCallToStatus(calls_.ProcessUtilityImage(uvm), "ProcessUtilityImage", uvm));
    }
  } else {
    SILO_RETURN_IF_ERROR(MakeDirs(layer_path));
    SILO_RETURN_IF_ERROR(FinishDiff(layer_path, parents, staging, source));
  }
  SILO_RETURN_IF_ERROR(WriteLayerChain(layer_path, parents));
  return AtomicWriteFile(Join(layer_path, kImportedMarker), "");
}

absl::Status Importer::ImportLayer(const std::string& layer_path, const std::vector<std::string>& parents,
                                   const LayerSource& source) {
  return Run({Job{layer_path, parents, &source}}, /*chained=*/false);
}

absl::Status Importer::ImportImage(const std::vector<std::string>& layer_paths,
                                   const std::vector<LayerSource>& sources) {
  if (layer_paths.size() != sources.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ImportImage: ", layer_paths.size(), " layer paths for ", sources.size(), " sources"));
  }
  std::vector<Job> jobs;
  for (size_t i = 0; i < layer_paths.size(); ++i) {
    Job job{layer_paths[i], {}, &sources[i]};
    for (size_t p = i; p-- > 0;) job.parents.push_back(layer_paths[p]);  // nearest parent first
    jobs.push_back(std::move(job));
  }
  return Run(jobs, /*chained=*/true);
}

absl::Status Importer::Run(const std::vector<Job>& jobs, bool chained) {
  std::vector<std::shared_future<absl::Status>> done(jobs.size());
  std::vector<std::promise<absl::Status>> owned(jobs.size());
  std::vector<bool> mine(jobs.size(), false);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (auto it = in_flight_.find(jobs[i].layer_path); it != in_flight_.end()) {
        done[i] = it->second;  // another pull is importing it: share its result
      } else if (IsComplete(jobs[i].layer_path)) {
        std::promise<absl::Status> ready;
        ready.set_value(absl::OkStatus());
        done[i] = ready.get_future().share();
      } else {
        mine[i] = true;
        done[i] = owned[i].get_future().share();
        in_flight_[jobs[i].layer_path] = done[i];
      }
    }
  }
  std::vector<std::thread> threads;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (!mine[i]) continue;
    threads.emplace_back([this, i, chained, &jobs, &done, &owned] {
      const auto wait_parent = [&]() -> absl::Status {
        if (!chained || i == 0) return absl::OkStatus();
        absl::Status parent = done[i - 1].get();
        if (parent.ok()) return parent;
        return absl::AbortedError(absl::StrCat("parent layer ", jobs[i - 1].layer_path, " failed to import"));
      };
      absl::Status s = Annotate(ImportOnThisThread(jobs[i].layer_path, jobs[i].parents, *jobs[i].source, wait_parent),
                                absl::StrCat("importing layer ", jobs[i].layer_path));
      {
        std::lock_guard<std::mutex> lock(mu_);
        in_flight_.erase(jobs[i].layer_path);
      }
      owned[i].set_value(std::move(s));
    });
  }
  for (auto& t : threads) t.join();
  absl::Status first;
  for (auto& f : done) {
    absl::Status s = f.get();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace silo::image::layers::wcifs
