#pragma once
// Importer: writes Windows image layers as WCIFS layers through LayerCalls.
//
// Base layer (no parents): every file, directory and link is BackupWritten
// straight into the layer folder (with security), hard links are created,
// directory times re-applied, then ProcessBaseImage(layer) and, when the
// layer has UtilityVM/, ProcessUtilityImage(layer\UtilityVM).
// Diff layer: staged in the transport format (transport.h) under
// `staging_root`, imported with ImportLayer (vmcompute; or HcsImportLayer
// when `use_computestorage` and the host has it), then tombstones, hard
// links and directory times as transport.h orders them; the staging folder
// is removed whatever happens.
// Every layer gets layerchain.json (JSON array of its parents' paths,
// nearest first) and, last, a ".silo-imported" marker: a layer with the
// marker is complete and is never imported again.
//
// Retry: a layer folder without the marker is what a failed or interrupted
// import left behind. Base-layer writes create new files (FILE_CREATE) and
// ImportLayer wants a fresh folder, so such a folder would fail every later
// pull with ERROR_FILE_EXISTS. ImportLayer removes it before importing, and
// RemoveIncomplete() sweeps a layers root at start-up. Both remove through
// the table's remove_all_relative (root = the folder's parent), which
// deletes links as themselves and never follows them out of the layer.
//
// Privileges: each importing thread enables SeBackup/SeRestore/SeSecurity
// through the table before touching files and reverts when done.
//
// Containment: with those privileges a write through a junction lands
// anywhere on the host, and the layer tar chooses both the names and the
// junctions. So every write, mkdir, tombstone delete, hard link and time
// update on layer (and staging) content goes through the table's relative
// calls (api.h): layer folder as root, the entry's path relative to it,
// refused when it leaves the root by name or crosses a reparse point. A
// refusal is InvalidArgument naming the entry. ProcessBaseImage and
// ProcessUtilityImage run only when Files and UtilityVM are real folders.
//
// Ordering rule for ImportImage (parallel): staging runs concurrently for
// all layers (for the base layer, its BackupWrites). The calls that read the
// parents - ProcessBaseImage, ImportLayer/HcsImportLayer and the post-import
// steps - run in chain order: layer i starts them only after layer i-1 has
// finished, because ImportLayer needs every parent fully present (hcsshim:
// "all parent layers must already be present"). One image is one chain, so
// its OS imports are serial; images with disjoint layers import in parallel.
//
// Single flight: concurrent imports of the same layer path (two pulls of one
// image) share one import; the others wait for its result.
//
// Thread-safe.

#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "image/layers/wcifs/backup_stream.h"
#include "image/layers/wcifs/layer_calls.h"
#include "image/layers/windows_layer.h"

namespace silo::image::layers::wcifs {

inline constexpr char kLayerChainFile[] = "layerchain.json";
inline constexpr char kImportedMarker[] = ".silo-imported";

struct LayerSource {
  ImportPlan plan;
  // Fills the bytes (and alternate data streams) of file entry `index`.
  // Called at most once per file entry, in increasing index order, so a
  // streaming tar reader can back it.
  std::function<absl::Status(size_t index, std::string* data, std::vector<AlternateStream>* streams)> read;
};

struct ImporterOptions {
  std::string staging_root;  // where diff layers are staged (temporary folders)
  bool use_computestorage = false;
};

class Importer {
 public:
  Importer(LayerCalls calls, ImporterOptions options) : calls_(std::move(calls)), options_(std::move(options)) {}

  // Imports one layer at `layer_path` over `parents` (nearest first; empty
  // for a base layer). Idempotent once complete.
  absl::Status ImportLayer(const std::string& layer_path, const std::vector<std::string>& parents,
                           const LayerSource& source);

  // Imports an image's layers, base first: layer_paths[i] has parents
  // layer_paths[i-1] ... layer_paths[0]. See the ordering rule above.
  absl::Status ImportImage(const std::vector<std::string>& layer_paths, const std::vector<LayerSource>& sources);

  // Removes every folder directly under `layers_root` that lacks the
  // completion marker (an import that failed or was cut short by a crash;
  // so `layers_root` must hold nothing but layer folders), and every
  // leftover "stage-*" folder under options.staging_root. Complete layers
  // are kept. The owner of the layer store must call this once at start-up,
  // before any import, for each root its layer folders live in: it is not
  // safe while an import into that root is running (it would remove the
  // layer being written). Runs with the import privileges enabled, as
  // restored security can deny a plain delete.
  absl::Status RemoveIncomplete(const std::string& layers_root);

 private:
  struct Job {
    std::string layer_path;
    std::vector<std::string> parents;
    const LayerSource* source;
  };
  // Owns the layers nobody else is importing (single flight), one thread
  // each; with `chained`, job i waits for job i-1 before its OS import.
  absl::Status Run(const std::vector<Job>& jobs, bool chained);
  // Stage, wait for `parent_done`, import. The whole body runs on one thread
  // with privileges enabled.
  absl::Status ImportOnThisThread(const std::string& layer_path, const std::vector<std::string>& parents,
                                  const LayerSource& source, const std::function<absl::Status()>& wait_parent);
  // Removes `layer_path` when it exists without the completion marker, so a
  // retried import starts from an empty folder. Needs privileges enabled.
  absl::Status RemoveIfIncomplete(const std::string& layer_path);
  absl::Status WriteBaseFiles(const std::string& layer_path, const LayerSource& source);
  absl::Status Stage(const std::string& staging, const LayerSource& source);
  absl::Status FinishDiff(const std::string& layer_path, const std::vector<std::string>& parents,
                          const std::string& staging, const LayerSource& source);

  LayerCalls calls_;
  ImporterOptions options_;
  std::mutex mu_;
  std::map<std::string, std::shared_future<absl::Status>> in_flight_ ABSL_GUARDED_BY(mu_);
};

// FILE_BASIC_INFO for an entry (times from the tar; creation time defaults
// to the modification time, as backuptar does).
FileBasicInfo BasicInfoFor(const WindowsEntry& entry, bool with_attributes);

}  // namespace silo::image::layers::wcifs
