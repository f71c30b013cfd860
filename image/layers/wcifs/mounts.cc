#include "image/layers/wcifs/mounts.h"

#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "image/layers/wcifs/importer.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/windows/hresult.h"

namespace silo::image::layers::wcifs {
namespace {

namespace fs = std::filesystem;

bool ValidId(const std::string& id) {
  return !id.empty() && id.find_first_of("/\\.") == std::string::npos;
}

}  // namespace

std::string Mounts::RecordPath(const std::string& container_id) const {
  return absl::StrCat(state_dir_, "/", container_id, ".json");
}

absl::Status Mounts::CreateScratch(const std::string& scratch_path, const std::vector<std::string>& parents,
                                   uint64_t size_bytes) {
  if (parents.empty()) return absl::InvalidArgumentError(absl::StrCat("scratch ", scratch_path, ": no parent layers"));
  SILO_RETURN_IF_ERROR(MakeDirs(scratch_path));
  const std::string blank = absl::StrCat(parents.back(), "/", kBlankVhd);
  const std::string vhd = absl::StrCat(scratch_path, "/", kScratchVhd);
  std::error_code ec;
  fs::copy_file(blank, vhd, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat("scratch ", scratch_path, ": copy ", blank, ": ", ec.message()));
  }
  if (size_bytes > 0) {
    SILO_RETURN_IF_ERROR(runtime::windows::HrStatusToStatus(calls_.ExpandSandboxSize(scratch_path, size_bytes), "ExpandSandboxSize", scratch_path));
  }
  return AtomicWriteFile(absl::StrCat(scratch_path, "/", kLayerChainFile), nlohmann::json(parents).dump());
}

absl::StatusOr<std::string> Mounts::Mount(const std::string& container_id, const std::string& scratch_path,
                                          const std::vector<std::string>& parents) {
  if (!ValidId(container_id)) return absl::InvalidArgumentError(absl::StrCat("bad container id \"", container_id, "\""));
  // A mount of this id that could not undo itself is finished first.
  SILO_RETURN_IF_ERROR(UndoLeftover(container_id).status());
  {
    std::lock_guard<std::mutex> lock(mu_);
    SILO_RETURN_IF_ERROR(MakeDirs(state_dir_));
    const nlohmann::json record = {{"scratch", scratch_path}, {"parents", parents}, {"mounted", false}};
    SILO_RETURN_IF_ERROR(AtomicWriteFile(RecordPath(container_id), record.dump()));
  }
  bool leftover = false;
  auto path = calls_.Mount(scratch_path, parents, &leftover);
  std::lock_guard<std::mutex> lock(mu_);
  if (!path.ok()) {
    // Mount undid its partial work unless it says otherwise; then the
    // "mounted": false record stays for whoever comes next to finish it.
    if (!leftover) {
      std::error_code ec;
      fs::remove(RecordPath(container_id), ec);
    }
    return runtime::windows::HrStatusToStatus(path.status(), "MountLayer", scratch_path);
  }
  const nlohmann::json record = {{"scratch", scratch_path}, {"parents", parents}, {"mounted", true}};
  absl::Status marked = AtomicWriteFile(RecordPath(container_id), record.dump());
  if (!marked.ok()) {
    (void)calls_.Unmount(scratch_path);
    std::error_code ec;
    fs::remove(RecordPath(container_id), ec);
    return marked;
  }
  return *path;
}

absl::Status Mounts::Release(const std::string& container_id) {
  if (!ValidId(container_id)) return absl::InvalidArgumentError(absl::StrCat("bad container id \"", container_id, "\""));
  std::lock_guard<std::mutex> lock(mu_);
  return ReleaseLocked(container_id);
}

absl::StatusOr<bool> Mounts::UndoLeftover(const std::string& container_id) {
  if (!ValidId(container_id)) return absl::InvalidArgumentError(absl::StrCat("bad container id \"", container_id, "\""));
  std::lock_guard<std::mutex> lock(mu_);
  auto text = ReadFile(RecordPath(container_id));
  if (absl::IsNotFound(text.status())) return false;
  SILO_RETURN_IF_ERROR(text.status());
  const nlohmann::json record = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (record.is_object() && record.contains("mounted") && record["mounted"].is_boolean() &&
      record["mounted"].get<bool>()) {
    return absl::AlreadyExistsError(absl::StrCat("container ", container_id, " has a mounted rootfs"));
  }
  SILO_RETURN_IF_ERROR(Annotate(ReleaseLocked(container_id),
                                absl::StrCat("undoing an earlier, unfinished mount of ", container_id)));
  return true;
}

absl::Status Mounts::ReleaseLocked(const std::string& container_id) {
  auto text = ReadFile(RecordPath(container_id));
  if (absl::IsNotFound(text.status())) return absl::OkStatus();
  SILO_RETURN_IF_ERROR(text.status());
  const nlohmann::json record = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object() || !record.contains("scratch") || !record["scratch"].is_string()) {
    return absl::DataLossError(absl::StrCat("mount record ", RecordPath(container_id), " is malformed"));
  }
  const std::string scratch = record["scratch"].get<std::string>();
  // Records without the flag predate it and were all of mounted layers.
  const bool mounted = !record.contains("mounted") || !record["mounted"].is_boolean() || record["mounted"].get<bool>();
  if (mounted) {
    SILO_RETURN_IF_ERROR(runtime::windows::HrStatusToStatus(calls_.Unmount(scratch), "UnmountLayer", scratch));
  } else {
    // The daemon died inside Mount, or Mount could not undo itself: the
    // layer may be activated, prepared or neither. The record goes only
    // once it is neither.
    SILO_RETURN_IF_ERROR(
        runtime::windows::HrStatusToStatus(calls_.UndoPartialMount(scratch), "UndoPartialMount", scratch));
  }
  std::error_code ec;
  fs::remove(RecordPath(container_id), ec);
  if (ec) return absl::InternalError(absl::StrCat("remove ", RecordPath(container_id), ": ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Mounts::Recover(const std::set<std::string>& live) {
  std::vector<std::string> stale;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::error_code ec;
    if (!fs::is_directory(state_dir_, ec)) return stale;
    for (const auto& e : fs::directory_iterator(state_dir_, ec)) {
      if (e.path().extension() != ".json") continue;
      const std::string id = e.path().stem().string();
      if (!live.contains(id)) stale.push_back(id);
    }
  }
  std::sort(stale.begin(), stale.end());
  for (const std::string& id : stale) SILO_RETURN_IF_ERROR(Annotate(Release(id), absl::StrCat("recovering ", id)));
  return stale;
}

absl::StatusOr<std::vector<std::string>> Mounts::RemoveLayers(const std::vector<std::string>& candidates,
                                                              const std::function<bool(const std::string&)>& referenced) {
  std::vector<std::string> removed;
  for (const std::string& layer : candidates) {
    if (referenced(layer)) continue;
    SILO_RETURN_IF_ERROR(runtime::windows::HrStatusToStatus(calls_.DestroyLayer(layer), "DestroyLayer", layer));
    removed.push_back(layer);
  }
  return removed;
}

}  // namespace silo::image::layers::wcifs
