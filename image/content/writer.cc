#include "image/content/writer.h"

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "image/content/content_store.h"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::image::content {

Writer::Writer(ContentStore* store, std::string ref, std::string dir, Digest expected, int64_t expected_size,
               File data, int64_t offset, Hasher hasher)
    : store_(store),
      ref_(std::move(ref)),
      dir_(std::move(dir)),
      expected_(std::move(expected)),
      expected_size_(expected_size),
      data_(std::move(data)),
      offset_(offset),
      hasher_(std::move(hasher)) {}

Writer::~Writer() {
  data_.Close();
  store_->ReleaseRef(ref_);
}

absl::Status Writer::Fail(absl::Status why) {
  data_.Close();
  state_ = State::kDone;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (ec) {
    return absl::Status(why.code(), absl::StrCat(why.message(), "; also failed to remove ingest ", dir_, ": ",
                                                 ec.message()));
  }
  return why;
}

absl::Status Writer::Write(absl::string_view data) {
  if (state_ != State::kWriting) {
    return absl::FailedPreconditionError(absl::StrCat("write to ingest ", ref_, ": writer is closed"));
  }
  if (expected_size_ != kUnknownSize && offset_ + static_cast<int64_t>(data.size()) > expected_size_) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("write to ingest ", ref_, ": ", data.size(), " bytes at offset ", offset_,
                     " exceed the expected size ", expected_size_, " of ", expected_.String())));
  }
  if (absl::Status wrote = data_.WriteAt(offset_, data); !wrote.ok()) {
    // What reached the disk stays; a later OpenWriter re-hashes it.
    data_.Close();
    state_ = State::kBroken;
    return Annotate(wrote, absl::StrCat("write to ingest ", ref_));
  }
  hasher_.Update(data.data(), data.size());
  offset_ += static_cast<int64_t>(data.size());
  return absl::OkStatus();
}

absl::Status Writer::Reset() {
  if (state_ != State::kWriting) {
    return absl::FailedPreconditionError(absl::StrCat("reset ingest ", ref_, ": writer is closed"));
  }
  SILO_RETURN_IF_ERROR(Annotate(data_.Truncate(0), absl::StrCat("reset ingest ", ref_)));
  SILO_ASSIGN_OR_RETURN(hasher_, Hasher::Create(expected_.algorithm));
  offset_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<Digest> Writer::Commit() {
  SILO_FAILPOINT("content.commit");
  if (state_ != State::kWriting) {
    return absl::FailedPreconditionError(absl::StrCat("commit ingest ", ref_, ": writer is closed"));
  }
  if (expected_size_ != kUnknownSize && offset_ != expected_size_) {
    return Fail(absl::FailedPreconditionError(absl::StrCat("commit ingest ", ref_, " of ", expected_.String(),
                                                           ": expected ", expected_size_, " bytes, got ",
                                                           offset_)));
  }
  Digest actual = hasher_.Current();
  if (actual != expected_) {
    return Fail(absl::DataLossError(absl::StrCat("commit ingest ", ref_, ": digest mismatch, expected ",
                                                 expected_.String(), ", got ", actual.String(), " (", offset_,
                                                 " bytes)")));
  }
  // Read-only like every blob, and durable before it becomes visible.
  SILO_RETURN_IF_ERROR(Annotate(SetReadOnly(data_.path(), true), absl::StrCat("commit ingest ", ref_)));
  SILO_RETURN_IF_ERROR(Annotate(data_.Sync(), absl::StrCat("commit ingest ", ref_)));
  data_.Close();
  bool existed = false;
  absl::Status published = store_->Publish(absl::StrCat(dir_, "/data"), actual, offset_, &existed);
  if (!published.ok()) {
    // Keep the ingest resumable by its owner.
    (void)SetReadOnly(absl::StrCat(dir_, "/data"), false);
    state_ = State::kBroken;
    return Annotate(published, absl::StrCat("commit ingest ", ref_));
  }
  state_ = State::kDone;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  // The blob is committed; a leftover metadata file is harmless and is
  // cleaned up at the next Open, so this is not an error for the caller.
  return actual;
}

absl::Status Writer::Abort() {
  if (state_ == State::kDone) return absl::OkStatus();
  return Fail(absl::OkStatus());
}

}  // namespace silo::image::content
