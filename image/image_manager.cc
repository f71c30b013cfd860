#include "image/image_manager.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/mutex.h"
#include "absl/time/clock.h"
#include "image/digest.h"
#include "image/layers/decompress.h"
#include "image/layers/dir_usage.h"
#include "image/layers/unpack.h"
#include "image/registry/curl_transport.h"
#include "nlohmann/json.hpp"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "spdlog/spdlog.h"

namespace silo::image {
namespace {

namespace fs = std::filesystem;
using registry::Descriptor;

// Lease keys: blobs and snapshots live in one map, and a layer's chain id can
// equal an uncompressed blob's digest, so the kinds are prefixed.
std::string BlobKey(const std::string& digest) { return absl::StrCat("blob:", digest); }
std::string SnapKey(const std::string& chain_id) { return absl::StrCat("snap:", chain_id); }

// A committed blob read front to back, as the layer unpacker reads it.
class ReaderSource : public layers::ByteSource {
 public:
  explicit ReaderSource(const content::ReaderAt* reader) : reader_(reader) {}
  absl::StatusOr<size_t> Read(char* buf, size_t len) override {
    absl::StatusOr<size_t> n = reader_->ReadAt(offset_, buf, len);
    if (n.ok()) offset_ += static_cast<int64_t>(*n);
    return n;
  }

 private:
  const content::ReaderAt* reader_;
  int64_t offset_ = 0;
};

// ReaderSource with its own reader, handed to a LayerUnpacker.
class OwnedReaderSource : public layers::ByteSource {
 public:
  explicit OwnedReaderSource(content::ReaderAt reader) : reader_(std::move(reader)), source_(&reader_) {}
  absl::StatusOr<size_t> Read(char* buf, size_t len) override { return source_.Read(buf, len); }

 private:
  content::ReaderAt reader_;
  ReaderSource source_;
};

std::string HexOf(const std::string& digest) {
  size_t colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

bool IsHex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Bytes and inodes below `dir` (0/0 when it is gone).
void MeasureDir(const std::string& dir, int64_t* bytes, int64_t* inodes) {
  absl::StatusOr<layers::DirUsage> u = layers::MeasureDir(dir);
  *bytes = u.ok() ? u->bytes : 0;
  *inodes = u.ok() ? u->inodes : 0;
}

absl::Status RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("remove snapshot ", path));
  return absl::OkStatus();
}

void AddUnique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const std::string& s : from) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

struct ParsedConfig {
  std::optional<registry::Platform> platform;  // when the config names its os and architecture
  std::vector<std::string> diff_ids;
  std::string user;
  std::map<std::string, std::string> labels;
};

absl::StatusOr<ParsedConfig> ParseConfig(const std::string& id, const std::string& body) {
  ParsedConfig out;
  try {
    nlohmann::json j = nlohmann::json::parse(body);
    // Both named, or no claim: older writers left architecture out.
    if (j.contains("os") && j["os"].is_string() && j.contains("architecture") && j["architecture"].is_string()) {
      registry::Platform p;
      p.os = j["os"].get<std::string>();
      p.architecture = j.value("architecture", "");
      p.variant = j.value("variant", "");
      p.os_version = j.value("os.version", "");
      out.platform = std::move(p);
    }
    for (const auto& d : j.at("rootfs").at("diff_ids")) {
      SILO_ASSIGN_OR_RETURN(Digest digest, ParseDigest(d.get<std::string>()));
      if (digest.algorithm != kSha256) {
        return absl::InvalidArgumentError(absl::StrCat("image config ", id, ": diff_id ", digest.String(),
                                                       " is not sha256"));
      }
      out.diff_ids.push_back(digest.String());
    }
    if (j.contains("config") && j["config"].is_object()) {
      const auto& c = j["config"];
      if (c.contains("User") && c["User"].is_string()) out.user = c["User"].get<std::string>();
      if (c.contains("Labels") && c["Labels"].is_object()) {
        for (const auto& [k, v] : c["Labels"].items()) {
          if (v.is_string()) out.labels[k] = v.get<std::string>();
        }
      }
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("image config ", id, ": ", e.what()));
  }
  return out;
}

}  // namespace

ImageManager::ImageManager(ImageManagerOptions options, runtime::store::MetadataDb* db)
    : options_(std::move(options)), db_(db) {}

ImageManager::~ImageManager() = default;

std::string ImageManager::snapshots_root() const { return absl::StrCat(options_.root, "/snapshots"); }

std::string ImageManager::SnapshotDir(const std::string& chain_id) const {
  return absl::StrCat(snapshots_root(), "/", HexOf(chain_id));
}

absl::StatusOr<std::unique_ptr<ImageManager>> ImageManager::Open(ImageManagerOptions options,
                                                                 runtime::store::MetadataDb* db) {
  if (options.root.empty() || db == nullptr) return absl::InvalidArgumentError("image manager: root and db required");
  if (options.max_parallel_downloads < 1) options.max_parallel_downloads = 1;
  if (options.max_parallel_unpacks < 1) options.max_parallel_unpacks = 1;
  std::unique_ptr<ImageManager> m(new ImageManager(std::move(options), db));
  for (const std::string& text : m->options_.pinned_references) {
    absl::StatusOr<Reference> ref = ParseReference(text);
    if (!ref.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("image manager: pinned reference \"", text, "\": ", ref.status().message()));
    }
    if (!ref->tag.empty()) m->pinned_.insert(absl::StrCat(ref->Repository(), ":", ref->tag));
    if (ref->digest) m->pinned_.insert(absl::StrCat(ref->Repository(), "@", ref->digest->String()));
  }
  SILO_RETURN_IF_ERROR(MakeDirs(m->snapshots_root(), 0700));
  SILO_ASSIGN_OR_RETURN(m->content_, content::ContentStore::Open(absl::StrCat(m->options_.root, "/content")));
  registry::HttpTransport* transport = m->options_.transport;
  if (transport == nullptr) {
    registry::CurlTransportOptions curl;
    curl.stall_timeout = m->options_.stall_timeout;
    curl.max_recv_bytes_per_sec = m->options_.max_download_bytes_per_sec;
    m->owned_transport_ = std::make_unique<registry::CurlTransport>(curl);
    transport = m->owned_transport_.get();
  }
  m->client_ = std::make_unique<registry::RegistryClient>(transport, m->options_.registry);
  SILO_RETURN_IF_ERROR(m->Load());
  m->ExpireIngests();
  return m;
}

void ImageManager::ExpireIngests() {
  absl::StatusOr<std::vector<content::IngestStatus>> ingests = content_->ListIngests();
  if (!ingests.ok()) {
    spdlog::warn("image store: cannot list partial downloads: {}", std::string(ingests.status().message()));
    return;
  }
  const absl::Time cutoff = absl::Now() - options_.ingest_expiry;
  for (const content::IngestStatus& ingest : *ingests) {
    if (ingest.active || ingest.updated_at > cutoff) continue;
    // Unavailable when a pull has just resumed it: then it is not stale.
    absl::Status s = content_->AbortIngest(ingest.ref);
    if (s.ok()) {
      spdlog::info("image store: deleted partial download {} ({} bytes, idle since {})", ingest.ref, ingest.offset,
                   absl::FormatTime(ingest.updated_at));
    }
  }
}

// Loads records and measures snapshots. Temporaries of interrupted unpacks
// are deleted; complete blobs and snapshots of a pull that was killed before
// it recorded its image are kept, so the re-pull (which kubelet sends soon
// after a restart) reuses them, and the next Remove collects them if not.
absl::Status ImageManager::Load() {
  std::map<std::string, ImageRecord> images;
  {
    SILO_ASSIGN_OR_RETURN(runtime::store::Transaction txn, db_->Begin());
    SILO_ASSIGN_OR_RETURN(std::vector<runtime::store::ImageEntry> entries, txn.ListImages());
    SILO_ASSIGN_OR_RETURN(auto layers, txn.ListKv(kLayersKvPrefix));
    SILO_RETURN_IF_ERROR(txn.Commit());
    for (const auto& entry : entries) {
      auto it = layers.find(LayersKvKey(entry.id));
      if (it == layers.end()) {
        spdlog::warn("image {}: no layer record in metadata db; ignoring it", entry.id);
        continue;
      }
      SILO_ASSIGN_OR_RETURN(ImageRecord record, FromStored(entry, it->second));
      if (!record.config_loaded) {
        // Stored before records kept the process config: parse it once now.
        absl::StatusOr<Digest> digest = ParseDigest(record.id);
        absl::StatusOr<std::string> body =
            digest.ok() ? content_->ReadBlob(*digest) : absl::StatusOr<std::string>(digest.status());
        absl::StatusOr<ImageConfig> parsed = body.ok() ? ParseImageConfig(*body) : body.status();
        if (!parsed.ok()) {
          spdlog::warn("image {}: config unreadable ({}); containers cannot be created from it until it is "
                       "pulled again", record.id, std::string(parsed.status().message()));
        } else {
          record.config = *parsed;
          record.config_loaded = true;
        }
      }
      // Pinned only while silod is configured so: a sandbox image of an
      // older configuration becomes collectable again.
      record.pinned = NamedAsPinned(record);
      images.emplace(record.id, std::move(record));
    }
  }

  if (options_.layer_unpacker != nullptr) {
    SILO_RETURN_IF_ERROR(Annotate(options_.layer_unpacker->RemoveIncomplete(snapshots_root()),
                                  "image store: removing interrupted layer imports"));
  }
  std::map<std::string, Usage> usage;
  Usage total;
  std::error_code ec;
  for (fs::directory_iterator it(snapshots_root(), ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::string path = it->path().string();
    if (absl::StrContains(name, ".tmp-")) {
      spdlog::info("image store: removing interrupted unpack {}", path);
      SILO_RETURN_IF_ERROR(RemoveTree(path));
      continue;
    }
    if (!IsHex64(name)) {
      spdlog::warn("image store: ignoring stray entry {}", path);
      continue;
    }
    Usage u;
    MeasureDir(path, &u.bytes, &u.inodes);
    total.bytes += u.bytes;
    total.inodes += u.inodes;
    usage[absl::StrCat("sha256:", name)] = u;
  }
  if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("list ", snapshots_root()));

  silo::MutexLock lock(&mu_);
  images_ = std::move(images);
  snapshot_usage_ = std::move(usage);
  snapshot_total_ = total;
  return absl::OkStatus();
}

void ImageManager::Lease(const std::vector<std::string>& keys) {
  silo::MutexLock lock(&mu_);
  auto free = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const auto& k : keys) {
      if (deleting_.contains(k)) return false;
    }
    return true;
  };
  mu_.Await(absl::Condition(&free));
  for (const auto& k : keys) ++leases_[k];
}

void ImageManager::Unlease(const std::vector<std::string>& keys) {
  silo::MutexLock lock(&mu_);
  for (const auto& k : keys) {
    auto it = leases_.find(k);
    if (it != leases_.end() && --it->second <= 0) leases_.erase(it);
  }
}

void ImageManager::AddSnapshotUsage(const std::string& chain_id) {
  Usage u;
  MeasureDir(SnapshotDir(chain_id), &u.bytes, &u.inodes);
  silo::MutexLock lock(&mu_);
  Usage& slot = snapshot_usage_[chain_id];
  snapshot_total_.bytes += u.bytes - slot.bytes;
  snapshot_total_.inodes += u.inodes - slot.inodes;
  slot = u;
}

absl::StatusOr<std::string> ImageManager::Pull(const std::string& ref_text,
                                               const std::optional<registry::AuthConfig>& auth) {
  SILO_ASSIGN_OR_RETURN(Reference ref, ParseReference(ref_text));
  // Waiters share the leader's result, whatever credentials they brought.
  return pulls_.Do(ref.String(), [&] { return DoPull(ref, auth); });
}

size_t ImageManager::PullCallers(const std::string& ref) const {
  absl::StatusOr<Reference> parsed = ParseReference(ref);
  return parsed.ok() ? pulls_.Callers(parsed->String()) : 0;
}

void ImageManager::ReportBytes() {
  if (options_.observer == nullptr) return;
  const int64_t now = client_->blob_bytes_received();
  const int64_t before = bytes_reported_.exchange(now);
  if (now > before) options_.observer->BytesReceived(now - before);
}

absl::StatusOr<std::string> ImageManager::DoPull(const Reference& ref,
                                                 const std::optional<registry::AuthConfig>& auth) {
  const absl::Time start = absl::Now();
  const std::string name = ref.String();
  ++pull_operations_;
  PullSummary summary;
  if (options_.observer != nullptr) options_.observer->PullStarted();
  absl::StatusOr<std::string> result = PullSteps(ref, auth, &summary);
  summary.code = result.status().code();
  summary.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  ReportBytes();
  if (options_.observer != nullptr) options_.observer->PullFinished(summary);
  if (result.ok()) {
    spdlog::info("pulled {} as {}: {} layers ({} fetched), {:.2f}s (download {:.2f}s, unpack {:.2f}s summed over layers)",
                 name, *result, summary.layers, summary.layers_fetched, summary.seconds, summary.download_seconds,
                 summary.unpack_seconds);
  } else {
    spdlog::warn("pull of {} failed after {:.2f}s: {}", name, summary.seconds, std::string(result.status().message()));
  }
  return result;
}

absl::StatusOr<std::string> ImageManager::PullSteps(const Reference& ref,
                                                    const std::optional<registry::AuthConfig>& auth,
                                                    PullSummary* summary) {
  const std::string name = ref.String();
  absl::StatusOr<registry::ResolvedImage> resolved_or = client_->ResolveManifest(ref, options_.platform, auth);
  if (!resolved_or.ok()) return Annotate(resolved_or.status(), absl::StrCat("pull ", name));
  if (options_.after_resolve_for_test) options_.after_resolve_for_test(name);
  const registry::ResolvedImage& resolved = *resolved_or;
  const registry::Manifest& manifest = resolved.manifest;

  ImageRecord record;
  record.id = manifest.config.digest.String();
  record.manifest_digest = resolved.manifest_digest.String();
  record.size = manifest.config.size;
  for (const Descriptor& layer : manifest.layers) {
    record.layer_digests.push_back(layer.digest.String());
    record.size += layer.size;
  }

  std::vector<std::string> leased;
  for (const auto& b : record.Blobs()) leased.push_back(BlobKey(b));
  Lease(leased);
  absl::Cleanup unlease_blobs = [&] { Unlease(leased); };

  if (!content_->Exists(manifest.config.digest)) {
    SILO_RETURN_IF_ERROR(Annotate(client_->FetchBlob(ref, manifest.config, *content_, auth),
                                  absl::StrCat("pull ", name, ": config ", record.id)));
  }
  SILO_ASSIGN_OR_RETURN(std::string config_body, content_->ReadBlob(manifest.config.digest));
  SILO_ASSIGN_OR_RETURN(ParsedConfig config, ParseConfig(record.id, config_body));
  // A reference that names one manifest (no index) had no platform to pick
  // by: its config says what it runs on, and a Windows image for another
  // build would only fail at container start (containerd checks it too).
  if (!resolved.platform.has_value() && config.platform.has_value() &&
      !registry::Matches(options_.platform, *config.platform)) {
    return absl::NotFoundError(absl::StrCat("pull ", name, ": the image is for ", config.platform->ToString(),
                                            ", which does not run on platform ", options_.platform.ToString()));
  }
  if (config.diff_ids.size() != manifest.layers.size()) {
    return absl::InvalidArgumentError(absl::StrCat("pull ", name, ": config ", record.id, " lists ",
                                                   config.diff_ids.size(), " diff_ids but the manifest has ",
                                                   manifest.layers.size(), " layers"));
  }
  record.diff_ids = config.diff_ids;
  record.chain_ids = ChainIds(record.diff_ids);
  record.user = config.user;
  record.annotations = config.labels;
  absl::StatusOr<ImageConfig> process = ParseImageConfig(config_body);
  if (!process.ok()) return Annotate(process.status(), absl::StrCat("pull ", name, ": config ", record.id));
  record.config = std::move(*process);
  record.config_loaded = true;

  std::vector<std::string> snap_keys;
  for (const auto& c : record.chain_ids) snap_keys.push_back(SnapKey(c));
  Lease(snap_keys);
  absl::Cleanup unlease_snaps = [&] { Unlease(snap_keys); };

  summary->layers = static_cast<int>(manifest.layers.size());
  SILO_RETURN_IF_ERROR(FetchAndUnpack(ref, manifest.layers, record, auth, summary));

  if (!ref.tag.empty()) record.repo_tags.push_back(absl::StrCat(ref.Repository(), ":", ref.tag));
  record.repo_digests.push_back(absl::StrCat(ref.Repository(), "@", resolved.digest.String()));
  record.created_ns = absl::ToUnixNanos(absl::Now());
  SILO_RETURN_IF_ERROR(Record(record));
  return record.id;
}

absl::Status ImageManager::FetchAndUnpack(const Reference& ref, const std::vector<Descriptor>& layers,
                                          const ImageRecord& record,
                                          const std::optional<registry::AuthConfig>& auth, PullSummary* summary) {
  const std::string name = ref.String();
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::atomic<bool> failed{false};
  silo::Mutex err_mu;
  absl::Status first_error;
  silo::Mutex slots_mu;
  int unpacking = 0;
  std::atomic<int> fetched{0};
  std::atomic<int64_t> download_us{0};
  std::atomic<int64_t> unpack_us{0};
  auto micros_since = [](absl::Time t) { return absl::ToInt64Microseconds(absl::Now() - t); };
  layers::LayerUnpacker* const unpacker = options_.layer_unpacker.get();
  std::vector<char> fresh(layers.size(), false);  // unpacked by this pull (unpacker only)

  auto one_layer = [&](size_t i) -> absl::Status {
    const Descriptor& desc = layers[i];
    const std::string& chain_id = record.chain_ids[i];
    const std::string dir = SnapshotDir(chain_id);
    std::error_code ec;
    if (unpacker != nullptr ? unpacker->IsUnpacked(dir) : fs::exists(dir, ec)) {
      return absl::OkStatus();  // shared with an image already here
    }
    ++fetched;
    if (!content_->Exists(desc.digest)) {
      const absl::Time download_start = absl::Now();
      absl::Status fetched_blob = client_->FetchBlob(ref, desc, *content_, auth);
      download_us += micros_since(download_start);
      SILO_RETURN_IF_ERROR(fetched_blob);
    }
    if (unpacker != nullptr) {
      fresh[i] = true;
      return absl::OkStatus();  // the whole chain is unpacked at once below
    }
    {
      silo::MutexLock lock(&slots_mu);
      auto has_slot = [&] { return unpacking < options_.max_parallel_unpacks; };
      slots_mu.Await(absl::Condition(&has_slot));
      ++unpacking;
    }
    absl::Cleanup release = [&] {
      silo::MutexLock lock(&slots_mu);
      --unpacking;
    };
    SILO_ASSIGN_OR_RETURN(content::ReaderAt reader, content_->OpenReader(desc.digest));
    ReaderSource source(&reader);
    layers::UnpackOptions opts;
    opts.media_type = desc.media_type;
    opts.expected_diff_id = record.diff_ids[i];
    opts.allow_devices = options_.allow_devices;
    const absl::Time unpack_start = absl::Now();
    absl::StatusOr<layers::UnpackStats> stats = layers::UnpackToSnapshot(source, dir, opts);
    unpack_us += micros_since(unpack_start);
    if (!stats.ok()) return stats.status();
    if (!stats->reused) AddSnapshotUsage(chain_id);
    return absl::OkStatus();
  };

  auto worker = [&] {
    for (size_t i = next++; i < layers.size() && !failed.load(); i = next++) {
      absl::Status s = one_layer(i);
      if (!s.ok()) {
        failed = true;
        silo::MutexLock lock(&err_mu);
        if (first_error.ok()) {
          first_error = Annotate(s, absl::StrCat("pull ", name, ": layer ", i, " ", layers[i].digest.String()));
        }
        return;
      }
      ++done;
    }
  };

  // Progress: layers done and registry bytes received (all pulls) since start.
  silo::Notification finished;
  const int64_t bytes_at_start = client_->blob_bytes_received();
  const absl::Time start = absl::Now();
  std::thread progress([&] {
    while (!finished.WaitForNotificationWithTimeout(options_.progress_interval)) {
      const int64_t bytes = client_->blob_bytes_received() - bytes_at_start;
      const double secs = std::max(1e-3, absl::ToDoubleSeconds(absl::Now() - start));
      spdlog::info("pulling {}: {}/{} layers, {} bytes received, {:.1f} MB/s", name, done.load(), layers.size(),
                   bytes, bytes / secs / 1e6);
      ReportBytes();
    }
  });

  const size_t threads = std::min<size_t>(layers.size(), static_cast<size_t>(options_.max_parallel_downloads));
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) workers.emplace_back(worker);
  for (auto& w : workers) w.join();
  finished.Notify();
  progress.join();
  summary->layers_fetched = fetched.load();
  summary->download_seconds = static_cast<double>(download_us.load()) / 1e6;
  {
    silo::MutexLock lock(&err_mu);
    if (!first_error.ok() || unpacker == nullptr) {
      summary->unpack_seconds = static_cast<double>(unpack_us.load()) / 1e6;
      return first_error;
    }
  }
  const absl::Time unpack_start = absl::Now();
  absl::Status unpacked = unpacker->UnpackChain(LayerBlobs(layers, record));
  summary->unpack_seconds = absl::ToDoubleSeconds(absl::Now() - unpack_start);
  if (!unpacked.ok()) return Annotate(unpacked, absl::StrCat("pull ", name));
  for (size_t i = 0; i < layers.size(); ++i) {
    if (fresh[i]) AddSnapshotUsage(record.chain_ids[i]);
  }
  return absl::OkStatus();
}

std::vector<layers::LayerBlob> ImageManager::LayerBlobs(const std::vector<Descriptor>& layers,
                                                        const ImageRecord& record) const {
  std::vector<layers::LayerBlob> chain;
  for (size_t i = 0; i < layers.size(); ++i) {
    layers::LayerBlob blob;
    blob.chain_id = record.chain_ids[i];
    blob.dir = SnapshotDir(blob.chain_id);
    blob.media_type = layers[i].media_type;
    blob.diff_id = record.diff_ids[i];
    blob.open = [this, digest = layers[i].digest]() -> absl::StatusOr<std::unique_ptr<layers::ByteSource>> {
      SILO_ASSIGN_OR_RETURN(content::ReaderAt reader, content_->OpenReader(digest));
      return std::unique_ptr<layers::ByteSource>(std::make_unique<OwnedReaderSource>(std::move(reader)));
    };
    chain.push_back(std::move(blob));
  }
  return chain;
}

bool ImageManager::NamedAsPinned(const ImageRecord& record) const {
  auto pinned = [this](const std::string& name) { return pinned_.count(name) > 0; };
  return std::any_of(record.repo_tags.begin(), record.repo_tags.end(), pinned) ||
         std::any_of(record.repo_digests.begin(), record.repo_digests.end(), pinned);
}

absl::Status ImageManager::Record(ImageRecord record) {
  SILO_FAILPOINT("image.record_commit");
  silo::MutexLock lock(&mu_);
  auto existing = images_.find(record.id);
  if (existing != images_.end()) {
    std::vector<std::string> tags = existing->second.repo_tags;
    std::vector<std::string> digests = existing->second.repo_digests;
    AddUnique(tags, record.repo_tags);
    AddUnique(digests, record.repo_digests);
    record.repo_tags = std::move(tags);
    record.repo_digests = std::move(digests);
    record.created_ns = existing->second.created_ns;
  }
  record.pinned = NamedAsPinned(record);
  // A tag names one image: take it away from any other image that had it.
  std::vector<ImageRecord> retagged;
  for (const auto& [id, other] : images_) {
    if (id == record.id) continue;
    ImageRecord copy = other;
    std::erase_if(copy.repo_tags, [&](const std::string& t) {
      return std::find(record.repo_tags.begin(), record.repo_tags.end(), t) != record.repo_tags.end();
    });
    if (copy.repo_tags.size() == other.repo_tags.size()) continue;
    copy.pinned = NamedAsPinned(copy);  // the pinned tag may be the one that moved
    retagged.push_back(std::move(copy));
  }
  SILO_RETURN_IF_ERROR(db_->InTransaction([&](runtime::store::Transaction& txn) -> absl::Status {
    SILO_RETURN_IF_ERROR(txn.PutKv(LayersKvKey(record.id), LayersJson(record)));
    SILO_RETURN_IF_ERROR(txn.PutImage(ToEntry(record)));
    for (const auto& r : retagged) SILO_RETURN_IF_ERROR(txn.PutImage(ToEntry(r)));
    return absl::OkStatus();
  }));
  for (auto& r : retagged) {
    spdlog::info("image {}: tag moved away, keeps {} tags", r.id, r.repo_tags.size());
    images_[r.id] = std::move(r);
  }
  images_[record.id] = std::move(record);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> ImageManager::ResolveLocked(const std::string& ref_or_id) const {
  if (images_.contains(ref_or_id)) return ref_or_id;
  if (IsHex64(ref_or_id)) {
    std::string id = absl::StrCat("sha256:", ref_or_id);
    if (images_.contains(id)) return id;
    return std::nullopt;
  }
  if (absl::StartsWith(ref_or_id, "sha256:")) return std::nullopt;  // an id we do not have
  SILO_ASSIGN_OR_RETURN(Reference ref, ParseReference(ref_or_id));
  const bool by_digest = ref.digest.has_value();
  const std::string key = by_digest ? absl::StrCat(ref.Repository(), "@", ref.digest->String())
                                    : absl::StrCat(ref.Repository(), ":", ref.tag);
  for (const auto& [id, r] : images_) {
    const auto& names = by_digest ? r.repo_digests : r.repo_tags;
    if (std::find(names.begin(), names.end(), key) != names.end()) return id;
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<ImageRecord>> ImageManager::Status(const std::string& ref_or_id) const {
  silo::MutexLock lock(&mu_);
  SILO_ASSIGN_OR_RETURN(std::optional<std::string> id, ResolveLocked(ref_or_id));
  if (!id.has_value()) return std::nullopt;
  return images_.at(*id);
}

absl::StatusOr<std::vector<ImageRecord>> ImageManager::List(const std::string& filter) const {
  std::vector<ImageRecord> out;
  silo::MutexLock lock(&mu_);
  if (!filter.empty()) {
    SILO_ASSIGN_OR_RETURN(std::optional<std::string> id, ResolveLocked(filter));
    if (id.has_value()) out.push_back(images_.at(*id));
    return out;
  }
  for (const auto& [id, r] : images_) out.push_back(r);
  return out;
}

absl::Status ImageManager::Remove(const std::string& ref_or_id) {
  {
    silo::MutexLock lock(&mu_);
    SILO_ASSIGN_OR_RETURN(std::optional<std::string> found, ResolveLocked(ref_or_id));
    if (found.has_value()) {
      const std::string id = *found;
      SILO_RETURN_IF_ERROR(db_->InTransaction([&](runtime::store::Transaction& txn) -> absl::Status {
        SILO_RETURN_IF_ERROR(txn.DeleteImage(id));
        return txn.DeleteKv(LayersKvKey(id));
      }));
      images_.erase(id);
      spdlog::info("removed image {} (asked for {})", id, ref_or_id);
    }
  }
  return Collect();
}

absl::Status ImageManager::Collect() {
  ExpireIngests();
  SILO_ASSIGN_OR_RETURN(std::vector<content::BlobInfo> stored, content_->List());
  std::vector<Digest> blobs;
  std::vector<std::string> snaps;
  {
    silo::MutexLock lock(&mu_);
    std::set<std::string> used;
    for (const auto& [id, r] : images_) {
      for (const auto& b : r.Blobs()) used.insert(BlobKey(b));
      for (const auto& c : r.chain_ids) used.insert(SnapKey(c));
    }
    auto collectable = [&](const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !used.contains(key) && !leases_.contains(key) && deleting_.insert(key).second;
    };
    for (const auto& b : stored) {
      if (collectable(BlobKey(b.digest.String()))) blobs.push_back(b.digest);
    }
    for (const auto& [chain_id, u] : snapshot_usage_) {
      if (collectable(SnapKey(chain_id))) snaps.push_back(chain_id);
    }
  }
  // Files go without the lock held; a pull that needs one of them waits in Lease().
  absl::Status result;
  for (const auto& d : blobs) result.Update(content_->Delete(d));
  std::vector<std::string> removed_snaps;
  for (const auto& c : snaps) {
    absl::Status s = options_.layer_unpacker != nullptr ? options_.layer_unpacker->RemoveLayer(SnapshotDir(c))
                                                        : RemoveTree(SnapshotDir(c));
    if (s.ok()) removed_snaps.push_back(c);
    result.Update(s);
  }
  silo::MutexLock lock(&mu_);
  for (const auto& d : blobs) deleting_.erase(BlobKey(d.String()));
  for (const auto& c : snaps) deleting_.erase(SnapKey(c));
  for (const auto& c : removed_snaps) {
    auto it = snapshot_usage_.find(c);
    if (it == snapshot_usage_.end()) continue;
    snapshot_total_.bytes -= it->second.bytes;
    snapshot_total_.inodes -= it->second.inodes;
    snapshot_usage_.erase(it);
  }
  if (!blobs.empty() || !removed_snaps.empty()) {
    spdlog::info("image store: collected {} blobs and {} snapshots", blobs.size(), removed_snaps.size());
  }
  return Annotate(result, "collect unused image content");
}

FsUsage ImageManager::FsInfo() const {
  const content::Usage c = content_->GetUsage();
  silo::MutexLock lock(&mu_);
  return FsUsage{c.bytes + snapshot_total_.bytes, c.inodes + snapshot_total_.inodes};
}

absl::StatusOr<std::string> ImageManager::ConfigJson(const std::string& image_id) const {
  SILO_ASSIGN_OR_RETURN(Digest digest, ParseDigest(image_id));
  return content_->ReadBlob(digest);
}

}  // namespace silo::image
