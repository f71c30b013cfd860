#include "image/content/content_store.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/base/mutex.h"

namespace silo::image::content {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kAlgorithms[] = {kSha256, kSha512};

struct IngestMeta {
  std::string ref;
  Digest expected;
  int64_t size = kUnknownSize;
  absl::Time started_at;
  absl::Time updated_at;
};

std::string MetaJson(const IngestMeta& m) {
  nlohmann::json j = {
      {"ref", m.ref},
      {"expected", m.expected.String()},
      {"size", m.size},
      {"started_at", absl::FormatTime(absl::RFC3339_full, m.started_at, absl::UTCTimeZone())},
      {"updated_at", absl::FormatTime(absl::RFC3339_full, m.updated_at, absl::UTCTimeZone())},
  };
  return j.dump();
}

absl::StatusOr<IngestMeta> ReadMeta(const std::string& path) {
  SILO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("ingest metadata ", path, ": ", what));
  };
  if (!j.is_object() || !j["ref"].is_string() || !j["expected"].is_string() || !j["size"].is_number_integer() ||
      !j["started_at"].is_string() || !j["updated_at"].is_string()) {
    return bad("malformed");
  }
  IngestMeta m;
  m.ref = j["ref"].get<std::string>();
  absl::StatusOr<Digest> d = ParseDigest(j["expected"].get<std::string>());
  if (!d.ok()) return bad(d.status().message());
  m.expected = *std::move(d);
  m.size = j["size"].get<int64_t>();
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, j["started_at"].get<std::string>(), &m.started_at, &err) ||
      !absl::ParseTime(absl::RFC3339_full, j["updated_at"].get<std::string>(), &m.updated_at, &err)) {
    return bad(absl::StrCat("bad time: ", err));
  }
  return m;
}

absl::Status RemoveAll(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("remove ", path));
  return absl::OkStatus();
}

// Hashes the first `size` bytes of `file` (an ingest being resumed).
absl::Status HashExisting(const File& file, int64_t size, Hasher* hasher, const std::string& ref) {
  std::string buf(1 << 20, '\0');
  int64_t off = 0;
  while (off < size) {
    size_t want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(buf.size()), size - off));
    absl::StatusOr<size_t> n = file.ReadAt(off, buf.data(), want);
    if (!n.ok()) return Annotate(n.status(), absl::StrCat("re-read ingest ", ref));
    if (*n == 0) {
      return absl::DataLossError(absl::StrCat("ingest ", ref, " shrank while being resumed at offset ", off));
    }
    hasher->Update(buf.data(), *n);
    off += static_cast<int64_t>(*n);
  }
  return absl::OkStatus();
}

}  // namespace

ContentStore::ContentStore(std::string root) : root_(std::move(root)) {}

absl::StatusOr<std::unique_ptr<ContentStore>> ContentStore::Open(const std::string& root) {
  if (root.empty()) return absl::InvalidArgumentError("content store root is empty");
  std::unique_ptr<ContentStore> store(new ContentStore(root));
  SILO_RETURN_IF_ERROR(MakeDirs(absl::StrCat(root, "/ingest"), 0700));
  for (absl::string_view alg : kAlgorithms) {
    SILO_RETURN_IF_ERROR(MakeDirs(absl::StrCat(root, "/blobs/", alg), 0755));
  }
  SILO_RETURN_IF_ERROR(store->Recover());
  return store;
}

absl::Status ContentStore::Recover() {
  std::error_code ec;
  // Ingests: keep only directories with both data and readable metadata.
  // Anything else is the remains of a crash while opening or committing.
  std::string ingest_root = absl::StrCat(root_, "/ingest");
  for (fs::directory_iterator it(ingest_root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string dir = it->path().string();
    std::error_code ec1;
    bool keep = it->is_directory(ec1) && StatPath(dir + "/data").ok() &&
                ReadMeta(dir + "/meta.json").ok();
    if (!keep) {
      SILO_RETURN_IF_ERROR(RemoveAll(dir));
      continue;
    }
    std::error_code ec2;
    for (fs::directory_iterator f(dir, ec2), fend; !ec2 && f != fend; f.increment(ec2)) {
      std::string name = f->path().filename().string();
      if (name != "data" && name != "meta.json") SILO_RETURN_IF_ERROR(RemoveAll(f->path().string()));
    }
    if (ec2) return ErrnoToStatus(ec2.value(), absl::StrCat("list ", dir));
  }
  if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("list ", ingest_root));

  // Blobs: drop files whose names are not digests (none are created there by
  // us, but a foreign tool or an old version might have left temporaries).
  Usage usage;
  for (absl::string_view alg : kAlgorithms) {
    std::string dir = absl::StrCat(root_, "/blobs/", alg);
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      std::error_code ec1;
      if (!ParseDigest(absl::StrCat(alg, ":", name)).ok() || !it->is_regular_file(ec1)) {
        SILO_RETURN_IF_ERROR(RemoveAll(it->path().string()));
        continue;
      }
      SILO_ASSIGN_OR_RETURN(PathInfo st, StatPath(it->path().string()));
      usage.bytes += st.size;
      usage.inodes += 1;
    }
    if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("list ", dir));
  }
  silo::MutexLock lock(&mu_);
  usage_ = usage;
  return absl::OkStatus();
}

std::string ContentStore::BlobPath(const Digest& digest) const {
  return absl::StrCat(root_, "/blobs/", digest.algorithm, "/", digest.hex);
}

std::string ContentStore::IngestDir(const std::string& ref) const {
  // Hashing the ref gives a fixed-length, path-safe directory name for any ref.
  return absl::StrCat(root_, "/ingest/", Sha256Of(ref).hex);
}

absl::StatusOr<std::unique_ptr<Writer>> ContentStore::OpenWriter(const std::string& ref, const Digest& expected,
                                                                 int64_t expected_size) {
  if (ref.empty()) return absl::InvalidArgumentError("open ingest: empty ref");
  SILO_RETURN_IF_ERROR(Annotate(ValidateDigest(expected), absl::StrCat("open ingest ", ref)));
  if (expected_size < kUnknownSize) {
    return absl::InvalidArgumentError(absl::StrCat("open ingest ", ref, ": negative size ", expected_size));
  }
  if (Exists(expected)) {
    return absl::AlreadyExistsError(absl::StrCat("content ", expected.String(), " already exists"));
  }
  {
    silo::MutexLock lock(&mu_);
    if (!active_refs_.insert(ref).second) {
      return absl::UnavailableError(absl::StrCat("ingest ", ref, " is in progress in another writer"));
    }
  }
  // From here on the ref is ours; give it back on every failure.
  bool handed_over = false;
  struct Release {
    ContentStore* store;
    const std::string& ref;
    bool& handed_over;
    ~Release() {
      if (!handed_over) store->ReleaseRef(ref);
    }
  } release{this, ref, handed_over};

  const std::string dir = IngestDir(ref);
  const std::string data_path = dir + "/data";
  const std::string meta_path = dir + "/meta.json";
  absl::Time now = absl::Now();
  IngestMeta meta{ref, expected, expected_size, now, now};

  absl::StatusOr<IngestMeta> old = ReadMeta(meta_path);
  bool resume = old.ok() && old->ref == ref && old->expected == expected && old->size == expected_size;
  // Anything else under this name (other content, a half-created ingest) is stale.
  if (!resume) SILO_RETURN_IF_ERROR(RemoveAll(dir));
  if (resume) meta.started_at = old->started_at;

  SILO_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  absl::StatusOr<File> data = File::Open(data_path, File::Access::kReadWriteCreate);
  if (!data.ok()) return Annotate(data.status(), "open ingest data");
  SILO_ASSIGN_OR_RETURN(int64_t size, data->Size());
  int64_t offset = resume ? size : 0;
  if (expected_size != kUnknownSize && offset > expected_size) offset = 0;  // cannot be our content
  if (offset != size) SILO_RETURN_IF_ERROR(data->Truncate(offset));
  SILO_ASSIGN_OR_RETURN(Hasher hasher, Hasher::Create(expected.algorithm));
  SILO_RETURN_IF_ERROR(HashExisting(*data, offset, &hasher, ref));
  // Metadata last: an ingest directory without it is removed at the next Open.
  SILO_RETURN_IF_ERROR(AtomicWriteFile(meta_path, MetaJson(meta), 0600));

  handed_over = true;
  return std::unique_ptr<Writer>(
      new Writer(this, ref, dir, expected, expected_size, *std::move(data), offset, std::move(hasher)));
}

void ContentStore::ReleaseRef(const std::string& ref) {
  silo::MutexLock lock(&mu_);
  active_refs_.erase(ref);
}

absl::Status ContentStore::Publish(const std::string& data_path, const Digest& digest, int64_t size, bool* existed) {
  const std::string target = BlobPath(digest);
  {
    silo::MutexLock lock(&mu_);
    if (StatPath(target).ok()) {
      *existed = true;
      return absl::OkStatus();
    }
    SILO_RETURN_IF_ERROR(ReplaceFile(data_path, target));
    *existed = false;
    usage_.bytes += size;
    usage_.inodes += 1;
  }
  SyncDirectory(absl::StrCat(root_, "/blobs/", digest.algorithm));
  return absl::OkStatus();
}

absl::StatusOr<BlobInfo> ContentStore::Info(const Digest& digest) const {
  SILO_RETURN_IF_ERROR(ValidateDigest(digest));
  const std::string path = BlobPath(digest);
  absl::StatusOr<PathInfo> st = StatPath(path);
  if (absl::IsNotFound(st.status())) return absl::NotFoundError(absl::StrCat("blob ", digest.String(), " not found"));
  if (!st.ok()) return Annotate(st.status(), "blob");
  return BlobInfo{digest, st->size, st->modified};
}

bool ContentStore::Exists(const Digest& digest) const {
  if (!ValidateDigest(digest).ok()) return false;
  return StatPath(BlobPath(digest)).ok();
}

absl::StatusOr<ReaderAt> ContentStore::OpenReader(const Digest& digest) const {
  SILO_RETURN_IF_ERROR(ValidateDigest(digest));
  const std::string path = BlobPath(digest);
  absl::StatusOr<File> file = File::Open(path, File::Access::kRead);
  if (absl::IsNotFound(file.status())) return absl::NotFoundError(absl::StrCat("blob ", digest.String(), " not found"));
  if (!file.ok()) return Annotate(file.status(), "blob");
  SILO_ASSIGN_OR_RETURN(int64_t size, file->Size());
  return ReaderAt(*std::move(file), size, digest);
}

absl::StatusOr<std::string> ContentStore::ReadBlob(const Digest& digest, int64_t max_size) const {
  SILO_ASSIGN_OR_RETURN(ReaderAt reader, OpenReader(digest));
  return reader.ReadAll(max_size);
}

absl::Status ContentStore::Delete(const Digest& digest) {
  SILO_RETURN_IF_ERROR(ValidateDigest(digest));
  const std::string path = BlobPath(digest);
  silo::MutexLock lock(&mu_);
  absl::StatusOr<PathInfo> st = StatPath(path);
  if (absl::IsNotFound(st.status())) return absl::OkStatus();
  if (!st.ok()) return Annotate(st.status(), "blob");
  absl::Status removed = RemoveFile(path);
  if (absl::IsNotFound(removed)) return absl::OkStatus();
  SILO_RETURN_IF_ERROR(Annotate(removed, "delete blob"));
  usage_.bytes -= st->size;
  usage_.inodes -= 1;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<BlobInfo>> ContentStore::List() const {
  std::vector<BlobInfo> out;
  std::error_code ec;
  for (absl::string_view alg : kAlgorithms) {
    std::string dir = absl::StrCat(root_, "/blobs/", alg);
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      absl::StatusOr<Digest> d = ParseDigest(absl::StrCat(alg, ":", it->path().filename().string()));
      if (!d.ok()) continue;
      absl::StatusOr<BlobInfo> info = Info(*d);
      if (absl::IsNotFound(info.status())) continue;  // deleted while listing
      if (!info.ok()) return info.status();
      out.push_back(*std::move(info));
    }
    if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("list ", dir));
  }
  return out;
}

Usage ContentStore::GetUsage() const {
  silo::MutexLock lock(&mu_);
  return usage_;
}

absl::Status ContentStore::AbortIngest(const std::string& ref) {
  {
    silo::MutexLock lock(&mu_);
    if (active_refs_.contains(ref)) {
      return absl::UnavailableError(absl::StrCat("abort ingest ", ref, ": a writer is using it"));
    }
    // Holding mu_ keeps a concurrent OpenWriter from recreating it meanwhile.
    return Annotate(RemoveAll(IngestDir(ref)), absl::StrCat("abort ingest ", ref));
  }
}

absl::StatusOr<std::vector<IngestStatus>> ContentStore::ListIngests() const {
  std::vector<IngestStatus> out;
  std::error_code ec;
  std::string ingest_root = absl::StrCat(root_, "/ingest");
  for (fs::directory_iterator it(ingest_root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string dir = it->path().string();
    absl::StatusOr<IngestMeta> meta = ReadMeta(dir + "/meta.json");
    if (!meta.ok()) continue;  // being created or removed right now
    absl::StatusOr<PathInfo> st = StatPath(dir + "/data");
    if (!st.ok()) continue;
    IngestStatus s;
    s.ref = meta->ref;
    s.expected = meta->expected;
    s.expected_size = meta->size;
    s.offset = st->size;
    s.started_at = meta->started_at;
    s.updated_at = std::max(meta->updated_at, st->modified);
    {
      silo::MutexLock lock(&mu_);
      s.active = active_refs_.contains(s.ref);
    }
    out.push_back(std::move(s));
  }
  if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("list ", ingest_root));
  return out;
}

}  // namespace silo::image::content
