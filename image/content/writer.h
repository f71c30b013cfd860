#pragma once
// Writer: one ingest into the ContentStore (see content_store.h), obtained
// from ContentStore::OpenWriter. Bytes are appended at offset() and hashed as
// they are written; Commit() verifies size and digest and publishes the blob.
//
// Lifecycle:
//   OpenWriter ──► writing ──Commit ok──► committed (blob visible)
//                     │ └───Commit/Write mismatch──► failed (ingest deleted)
//                     ├───Abort──► aborted (ingest deleted)
//                     └───destroyed / I/O error──► ingest kept; the next
//                         OpenWriter with the same ref resumes at its offset
// After any terminal state every call returns FailedPrecondition.
//
// Not thread-safe: one thread at a time. While it exists it holds its ref, so
// no other Writer can be opened on the same ref. It must not outlive the
// ContentStore that opened it.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "image/digest.h"
#include "runtime/base/file.h"

namespace silo::image::content {

class ContentStore;

class Writer {
 public:
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  // Without Commit/Abort the ingest stays on disk for a later resume.
  ~Writer();

  const std::string& ref() const { return ref_; }
  const Digest& expected() const { return expected_; }
  // -1 when the size was not known at open.
  int64_t expected_size() const { return expected_size_; }
  // Bytes already in the ingest: where the next Write lands, and the first
  // byte to request (HTTP Range) when resuming.
  int64_t offset() const { return offset_; }

  // Appends `data`. FailedPrecondition, and the ingest is deleted, if it
  // would pass the expected size. On an I/O error the writer becomes unusable
  // but the ingest keeps what reached the disk.
  absl::Status Write(absl::string_view data);

  // Discards what was written so far and restarts at offset 0 (for a server
  // that ignored the Range request and sent the whole blob).
  absl::Status Reset();

  // Verifies size (FailedPrecondition) and digest (DataLoss), fsyncs and
  // atomically moves the data into blobs/. On mismatch the ingest is deleted
  // and the message names expected and actual values. If the blob already
  // exists the ingest is discarded and Commit succeeds.
  absl::StatusOr<Digest> Commit();

  // Deletes the ingest. Idempotent with respect to the on-disk state.
  absl::Status Abort();

 private:
  friend class ContentStore;
  enum class State { kWriting, kDone, kBroken };

  Writer(ContentStore* store, std::string ref, std::string dir, Digest expected, int64_t expected_size, File data,
         int64_t offset, Hasher hasher);

  // Deletes the ingest and moves to kDone; returns `why` (annotated on
  // cleanup failure).
  absl::Status Fail(absl::Status why);

  ContentStore* store_;
  std::string ref_;
  std::string dir_;  // <root>/ingest/<key>
  Digest expected_;
  int64_t expected_size_;
  File data_;  // <dir>/data
  int64_t offset_;
  Hasher hasher_;
  State state_ = State::kWriting;
};

}  // namespace silo::image::content
