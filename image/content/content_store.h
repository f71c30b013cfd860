#pragma once
// ContentStore: content-addressed blobs on the local disk, written through
// atomic, resumable ingests. Layout under `root`:
//
//   blobs/<algorithm>/<hex>        committed blobs, read-only (0444), immutable
//   ingest/<sha256 of ref>/data    bytes received so far for one ingest
//   ingest/<sha256 of ref>/meta.json  {ref, expected, size, started_at, updated_at}
//
// An ingest is named by a caller-chosen `ref` (any non-empty string, e.g.
// "layer-sha256:..."), so a download interrupted by a crash is found again by
// the same name and resumed from its offset. A blob becomes visible only by
// an atomic rename after its size and digest were verified and it was fsynced,
// so readers never see partial or wrong content.
//
// Thread safety: all methods may be called concurrently. One Writer per ref at
// a time (a second OpenWriter on a ref in progress gets Unavailable; callers
// that want to share one download use SingleFlight). Commit and Delete are
// serialised so the usage counter stays exact.
//
// Idempotency: Delete and AbortIngest of something absent succeed; committing
// content that already exists succeeds.
//
// One process owns a root at a time (the daemon); Writers must not outlive
// the store.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/base/mutex.h"
#include "absl/time/time.h"
#include "image/content/reader_at.h"
#include "image/content/writer.h"
#include "image/digest.h"

namespace silo::image::content {

inline constexpr int64_t kUnknownSize = -1;

struct BlobInfo {
  Digest digest;
  int64_t size = 0;
  absl::Time committed_at;  // the blob file's mtime
};

struct IngestStatus {
  std::string ref;
  Digest expected;
  int64_t expected_size = kUnknownSize;
  int64_t offset = 0;  // bytes on disk
  absl::Time started_at;
  absl::Time updated_at;  // last write
  bool active = false;    // a Writer in this process holds it
};

// Committed blobs only (ingests are transient). inodes counts blob files.
struct Usage {
  int64_t bytes = 0;
  int64_t inodes = 0;
  friend bool operator==(const Usage&, const Usage&) = default;
};

class ContentStore {
 public:
  // Creates the layout if needed, removes leftovers of interrupted operations
  // (temporary files, ingests without metadata, stray files in blobs/) and
  // computes the usage counter.
  static absl::StatusOr<std::unique_ptr<ContentStore>> Open(const std::string& root);

  ContentStore(const ContentStore&) = delete;
  ContentStore& operator=(const ContentStore&) = delete;

  const std::string& root() const { return root_; }
  // Where a blob lives (whether or not it exists). `digest` must be valid
  // (ValidateDigest); a blob path is handy for tools that want a file name.
  std::string BlobPath(const Digest& digest) const;

  // Opens (or resumes) the ingest `ref` for content `expected` of
  // `expected_size` bytes (kUnknownSize if unknown). An existing ingest for
  // the same ref and expectations is resumed: its bytes are re-hashed and
  // offset() reports where to continue; one with different expectations is
  // discarded. AlreadyExists if the blob is already committed; Unavailable if
  // another Writer holds `ref`.
  absl::StatusOr<std::unique_ptr<Writer>> OpenWriter(const std::string& ref, const Digest& expected,
                                                     int64_t expected_size);

  // Every method taking a Digest rejects a non-canonical one with
  // InvalidArgument (Exists returns false), so no digest can name a path
  // outside blobs/.

  // NotFound if absent.
  absl::StatusOr<BlobInfo> Info(const Digest& digest) const;
  bool Exists(const Digest& digest) const;
  absl::StatusOr<ReaderAt> OpenReader(const Digest& digest) const;
  // Convenience for small blobs (manifests, configs).
  absl::StatusOr<std::string> ReadBlob(const Digest& digest, int64_t max_size = 4 << 20) const;

  // Removes a committed blob; open readers keep working. Idempotent.
  absl::Status Delete(const Digest& digest);

  absl::StatusOr<std::vector<BlobInfo>> List() const;

  // O(1): a running counter, recomputed by Open.
  Usage GetUsage() const;

  // Deletes the ingest `ref`. Idempotent; Unavailable while a Writer holds it.
  absl::Status AbortIngest(const std::string& ref);

  absl::StatusOr<std::vector<IngestStatus>> ListIngests() const;

 private:
  friend class Writer;

  explicit ContentStore(std::string root);
  absl::Status Recover();
  std::string IngestDir(const std::string& ref) const;

  // Writer hooks.
  void ReleaseRef(const std::string& ref);
  // Moves `data_path` to the blob's place unless it exists already; updates
  // the usage counter. `*existed` tells which happened.
  absl::Status Publish(const std::string& data_path, const Digest& digest, int64_t size, bool* existed);

  const std::string root_;
  mutable silo::Mutex mu_;
  absl::flat_hash_set<std::string> active_refs_ ABSL_GUARDED_BY(mu_);
  Usage usage_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::image::content
