#pragma once
// ImageManager: the image store behind the CRI ImageService (Linux layout).
//
//   <root>/content/...                  content store (config and layer blobs)
//   <root>/snapshots/<chain-id hex>/    one unpacked layer per chain ID, the
//                                       form overlayfs takes as a lower dir
//   metadata db `images` rows + kv "image-layers/<id>" (see image_record.h)
//
// Pull: parse and normalise the reference; resolve the manifest for
// options.platform (the host's unless a caller says otherwise: os,
// architecture and, on Windows, os.version); fetch the config, then every layer blob that is not in the
// content store yet and unpack every snapshot that does not exist yet, on up
// to `max_parallel_downloads` worker threads, at most `max_parallel_unpacks`
// of them unpacking at once. Every layer unpacks into its own directory (its
// parents are not needed), verified against the config's diff_id. With a
// LayerUnpacker (Windows) the workers only fetch, then the unpacker takes
// the whole chain (see layers/layer_unpacker.h). Only when
// everything is on disk is the image recorded, in one db transaction, so a
// pull killed midway leaves no visible image (its blobs and ingests stay for
// the next pull to reuse or resume until a Remove collects them; its
// half-unpacked "<dir>.tmp-*" are removed by the next Open). Concurrent pulls of the same normalised
// reference share one operation. A tag that now names a different image is
// moved: the old image keeps its other tags and digests, and is dropped
// (with its unused blobs and snapshots) when no reference is left, as
// containerd's CRI does.
//
// Remove follows containerd's CRI RemoveImage: the reference (tag, digest or
// id) is resolved to an image and the image is deleted with ALL its tags and
// digests; it does not refuse while containers use the image (containers own
// their rootfs; the layer store port is the place to pin snapshots). Then
// every blob and snapshot that no image and no in-flight pull uses is
// deleted, including leftovers of pulls killed before they recorded their
// image (Open keeps those so a re-pull reuses them). Removing an unknown
// image is OK (and still collects).
//
// FsInfo is O(1): the content store keeps a running counter, and snapshot
// usage is measured once per snapshot (a walk of that one directory when it
// is created, or when Open finds it) and summed in memory.
//
// Thread-safe. The MetadataDb and transport must outlive the manager. One
// manager per root.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/base/mutex.h"
#include "image/content/content_store.h"
#include "image/content/single_flight.h"
#include "image/image_record.h"
#include "image/layers/layer_unpacker.h"
#include "image/pull_observer.h"
#include "image/reference.h"
#include "image/registry/auth.h"
#include "image/registry/client.h"
#include "image/registry/http_transport.h"
#include "image/registry/platform.h"
#include "runtime/store/metadata_db.h"

namespace silo::image {

struct ImageManagerOptions {
  std::string root;
  registry::RegistryClientOptions registry;  // mirrors, insecure hosts, credentials
  // Used for all registry traffic; null means a CurlTransport owned by the manager.
  registry::HttpTransport* transport = nullptr;
  registry::Platform platform = registry::HostPlatform();
  int max_parallel_downloads = 3;
  int max_parallel_unpacks = 2;
  // Layer unpack settings (devices, ownership, size limits).
  bool allow_devices = false;
  // Makes layer folders where overlay snapshots are not the form (Windows:
  // the WCIFS importer). Null: overlay snapshots (layers/unpack.h).
  std::shared_ptr<layers::LayerUnpacker> layer_unpacker;
  // Interval between progress log lines of a running pull.
  absl::Duration progress_interval = absl::Seconds(5);
  // For the manager's own CurlTransport (ignored when `transport` is set): a
  // download slower than 1 byte/s for this long fails the pull with
  // DeadlineExceeded; the receive rate cap per transfer (0 = none).
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};
  int64_t max_download_bytes_per_sec = 0;
  // Receives pull starts, finishes and byte counts; may be null.
  PullObserver* observer = nullptr;
  // A partial download nobody has written to for this long is deleted at
  // start-up and by every Remove's collection (a pull resumes younger ones).
  absl::Duration ingest_expiry = absl::Hours(24);
  // References whose images are pinned (ImageStatus says so, and kubelet's
  // image garbage collection keeps them), e.g. the Windows sandbox image.
  std::vector<std::string> pinned_references;
  // Tests only: runs in the pull operation after the manifest is resolved.
  std::function<void(const std::string& ref)> after_resolve_for_test;
};

struct FsUsage {
  int64_t bytes = 0;
  int64_t inodes = 0;
};

class ImageManager {
 public:
  // Opens the content store, removes stale snapshot temporaries, loads the
  // image records from `db` and measures existing snapshots.
  static absl::StatusOr<std::unique_ptr<ImageManager>> Open(ImageManagerOptions options,
                                                            runtime::store::MetadataDb* db);
  ~ImageManager();
  ImageManager(const ImageManager&) = delete;
  ImageManager& operator=(const ImageManager&) = delete;

  // Pulls `ref` and returns the image id (config digest). InvalidArgument for
  // a malformed reference, NotFound when the registry has no such image,
  // Unauthenticated without valid credentials, DataLoss for corrupt content.
  absl::StatusOr<std::string> Pull(const std::string& ref, const std::optional<registry::AuthConfig>& auth = std::nullopt);

  // Looks an image up by id ("sha256:<hex>" or the bare hex), repo tag or
  // repo digest (references are normalised: "busybox" finds
  // docker.io/library/busybox:latest). nullopt when absent; InvalidArgument
  // for something that is neither an id nor a valid reference.
  absl::StatusOr<std::optional<ImageRecord>> Status(const std::string& ref_or_id) const;

  // All images, or the one `filter` names (empty filter = all), sorted by id.
  absl::StatusOr<std::vector<ImageRecord>> List(const std::string& filter = "") const;

  // Deletes the image `ref_or_id` resolves to (see above). Idempotent.
  absl::Status Remove(const std::string& ref_or_id);

  // Bytes and inodes used by the content store plus the snapshots.
  FsUsage FsInfo() const;

  // The image's config document (from the content store).
  absl::StatusOr<std::string> ConfigJson(const std::string& image_id) const;

  // Callers currently sharing the pull of `ref` (normalised), 0 if none.
  size_t PullCallers(const std::string& ref) const;
  // Pull operations actually run (shared pulls count once).
  int64_t pull_operations() const { return pull_operations_.load(); }

  std::string SnapshotDir(const std::string& chain_id) const;
  const std::string& root() const { return options_.root; }
  std::string snapshots_root() const;
  content::ContentStore& content_store() { return *content_; }
  registry::RegistryClient& registry_client() { return *client_; }

 private:
  struct Usage {
    int64_t bytes = 0;
    int64_t inodes = 0;
  };
  ImageManager(ImageManagerOptions options, runtime::store::MetadataDb* db);

  absl::Status Load();
  // One pull operation: PullSteps timed, logged and reported to the observer.
  absl::StatusOr<std::string> DoPull(const Reference& ref, const std::optional<registry::AuthConfig>& auth);
  absl::StatusOr<std::string> PullSteps(const Reference& ref, const std::optional<registry::AuthConfig>& auth,
                                        PullSummary* summary);
  // Fetches and unpacks every layer of `record` (layer fields filled).
  // Fetches and unpacks every layer of `record` (layer fields filled),
  // adding its layer counts and busy times to `summary`.
  absl::Status FetchAndUnpack(const Reference& ref, const std::vector<registry::Descriptor>& layers,
                              const ImageRecord& record, const std::optional<registry::AuthConfig>& auth,
                              PullSummary* summary);
  // The layers of `record` as options_.layer_unpacker takes them.
  std::vector<layers::LayerBlob> LayerBlobs(const std::vector<registry::Descriptor>& layers,
                                            const ImageRecord& record) const;
  // Hands the registry bytes received since the last report to the observer.
  void ReportBytes();
  absl::Status Record(ImageRecord record);
  // True when one of the record's tags or digests is a pinned reference.
  bool NamedAsPinned(const ImageRecord& record) const;
  // The id `ref_or_id` names, nullopt if none; InvalidArgument for a
  // malformed reference.
  absl::StatusOr<std::optional<std::string>> ResolveLocked(const std::string& ref_or_id) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Leases keep blobs and snapshots of in-flight pulls from garbage collection.
  void Lease(const std::vector<std::string>& keys) ABSL_LOCKS_EXCLUDED(mu_);
  void Unlease(const std::vector<std::string>& keys) ABSL_LOCKS_EXCLUDED(mu_);
  // Deletes every blob and snapshot not used by an image or leased.
  absl::Status Collect() ABSL_LOCKS_EXCLUDED(mu_);
  // Deletes ingests idle for longer than options_.ingest_expiry.
  void ExpireIngests();
  void AddSnapshotUsage(const std::string& chain_id) ABSL_LOCKS_EXCLUDED(mu_);

  const ImageManagerOptions options_;
  std::set<std::string> pinned_;  // canonical "repo:tag" / "repo@digest" forms of options_.pinned_references
  runtime::store::MetadataDb* const db_;
  std::unique_ptr<registry::HttpTransport> owned_transport_;
  std::unique_ptr<content::ContentStore> content_;
  std::unique_ptr<registry::RegistryClient> client_;
  content::SingleFlight<std::string, absl::StatusOr<std::string>> pulls_;
  std::atomic<int64_t> pull_operations_{0};
  std::atomic<int64_t> bytes_reported_{0};

  mutable silo::Mutex mu_;
  std::map<std::string, ImageRecord> images_ ABSL_GUARDED_BY(mu_);  // by id
  std::map<std::string, int> leases_ ABSL_GUARDED_BY(mu_);          // blob digest or chain id -> count
  std::set<std::string> deleting_ ABSL_GUARDED_BY(mu_);            // blobs/chain ids being deleted
  std::map<std::string, Usage> snapshot_usage_ ABSL_GUARDED_BY(mu_);  // by chain id
  Usage snapshot_total_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::image
