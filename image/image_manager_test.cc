#include "image/image_manager.h"

#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/oci_layout.h"
#include "nlohmann/json.hpp"
#include "runtime/store/metadata_db.h"
#include "runtime/base/mutex.h"

namespace silo::image {
namespace {

namespace fs = std::filesystem;
using registry::Descriptor;
using registry::testing::LocalRegistry;
using registry::testing::MakeTar;
using registry::testing::OciLayout;
using registry::testing::TestFile;
using registry::testing::TestImage;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAreArray;

std::string TempDir() {
  char tmpl[] = "/tmp/silo-imagemgr-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl), nullptr);
  return tmpl;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// What the test pushed for one tag.
struct Pushed {
  Descriptor manifest;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::vector<std::vector<TestFile>> files;
  int64_t Size() const {
    int64_t s = config.size;
    for (const auto& l : layers) s += l.size;
    return s;
  }
};

// An image with a hand-written config (User, Labels), gzip layers.
absl::StatusOr<Pushed> AddImage(OciLayout& layout, const std::vector<std::vector<TestFile>>& files,
                                const std::string& user) {
  Pushed out;
  out.files = files;
  nlohmann::json diff_ids = nlohmann::json::array();
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& f : files) {
    auto plain = MakeTar(f, false);
    auto gz = MakeTar(f, true);
    if (!plain.ok()) return plain.status();
    if (!gz.ok()) return gz.status();
    diff_ids.push_back(Sha256Of(*plain).String());
    auto d = layout.AddBlob("application/vnd.oci.image.layer.v1.tar+gzip", *gz);
    if (!d.ok()) return d.status();
    out.layers.push_back(*d);
    layers.push_back({{"mediaType", d->media_type}, {"digest", d->digest.String()}, {"size", d->size}});
  }
  nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", {{"User", user}, {"Labels", {{"org.example.team", "silo"}}}, {"Cmd", {"/bin/sh"}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  auto c = layout.AddBlob(std::string(registry::kOciConfig), config.dump());
  if (!c.ok()) return c.status();
  out.config = *c;
  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", registry::kOciManifest},
      {"config", {{"mediaType", c->media_type}, {"digest", c->digest.String()}, {"size", c->size}}},
      {"layers", layers}};
  auto m = layout.AddBlob(std::string(registry::kOciManifest), manifest.dump());
  if (!m.ok()) return m.status();
  out.manifest = *m;
  return out;
}

const std::vector<TestFile> kBase = {{"etc/hello", "hello world\n"}, {"etc/conf/a.conf", "a=1\n"}};

class RecordingObserver : public PullObserver {
 public:
  void PullStarted() override { ++started; }
  void PullFinished(const PullSummary& s) override {
    silo::MutexLock lock(&mu);
    finished.push_back(s);
  }
  void BytesReceived(int64_t n) override { bytes += n; }
  std::atomic<int> started{0};
  std::atomic<int64_t> bytes{0};
  silo::Mutex mu;
  std::vector<PullSummary> finished;
};

class ImageManagerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto reg = LocalRegistry::Start();
    ASSERT_TRUE(reg.ok()) << reg.status();
    registry_ = reg->release();
    // Registry tags are the layouts' tags, so each image has its own layout.
    layout_dir_ = new std::string(TempDir());
    other_layout_dir_ = new std::string(TempDir());
    OciLayout layout(*layout_dir_);
    OciLayout other_layout(*other_layout_dir_);
    auto app = AddImage(layout,
                        {kBase, {{"bin/tool", std::string(300000, 't')}}, {{"usr/share/doc/readme", "docs\n"}}},
                        "1000:1000");
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = new Pushed(*app);
    auto other = AddImage(other_layout, {kBase, {{"opt/other", "other\n"}}}, "nobody");
    ASSERT_TRUE(other.ok()) << other.status();
    other_ = new Pushed(*other);
    for (const char* tag : {"v1", "moving"}) {
      ASSERT_TRUE(layout.Tag(app_->manifest, tag).ok());
      ASSERT_TRUE(other_layout.Tag(other_->manifest, tag).ok());
    }
    absl::Status s = registry_->Push(*layout_dir_, "v1", "app");
    ASSERT_TRUE(s.ok()) << s;
    s = registry_->Push(*other_layout_dir_, "v1", "other");
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() {
    delete registry_;
    fs::remove_all(*layout_dir_);
    fs::remove_all(*other_layout_dir_);
    delete layout_dir_;
    delete other_layout_dir_;
    delete app_;
    delete other_;
  }

  void SetUp() override {
    root_ = TempDir();
    auto db = runtime::store::MetadataDb::Open(absl::StrCat(root_, "/db"));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    OpenManager();
  }
  void TearDown() override {
    manager_.reset();
    db_.reset();
    fs::remove_all(root_);
  }

  void OpenManager(std::function<void(const std::string&)> hook = nullptr, std::vector<std::string> pinned = {}) {
    manager_.reset();
    ImageManagerOptions o;
    o.pinned_references = std::move(pinned);
    o.after_resolve_for_test = std::move(hook);
    o.observer = &observer_;
    o.ingest_expiry = ingest_expiry_;
    o.root = absl::StrCat(root_, "/images");
    o.registry.insecure_hosts = {registry_->host()};
    o.registry.backoff_base = absl::Milliseconds(1);
    o.platform = registry::Platform{"linux", "amd64", "", "", {}};
    auto m = ImageManager::Open(o, db_.get());
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = std::move(*m);
  }

  std::string Ref(const std::string& name) { return absl::StrCat(registry_->host(), "/", name); }
  std::string AppTag() { return Ref("app:v1"); }
  std::string AppDigestRef() { return absl::StrCat(Ref("app"), "@", app_->manifest.digest.String()); }

  std::string PullOk(const std::string& ref) {
    auto id = manager_->Pull(ref);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  static LocalRegistry* registry_;
  static std::string* layout_dir_;
  static std::string* other_layout_dir_;
  static Pushed* app_;
  static Pushed* other_;
  std::string root_;
  std::unique_ptr<runtime::store::MetadataDb> db_;
  RecordingObserver observer_;
  absl::Duration ingest_expiry_ = absl::Hours(24);
  std::unique_ptr<ImageManager> manager_;
};

LocalRegistry* ImageManagerTest::registry_ = nullptr;
std::string* ImageManagerTest::layout_dir_ = nullptr;
std::string* ImageManagerTest::other_layout_dir_ = nullptr;
Pushed* ImageManagerTest::app_ = nullptr;
Pushed* ImageManagerTest::other_ = nullptr;

// Regular files below `dir` (relative path -> content); directories must be
// exactly the parents of those files.
std::map<std::string, std::string> FilesIn(const std::string& dir, std::vector<std::string>* dirs) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string rel = fs::relative(e.path(), dir).string();
    if (e.is_directory()) {
      dirs->push_back(rel);
    } else {
      EXPECT_TRUE(e.is_regular_file()) << rel;
      files[rel] = ReadAll(e.path().string());
    }
  }
  return files;
}

TEST_F(ImageManagerTest, PullByTagRecordsImage) {
  std::string id = PullOk(AppTag());
  EXPECT_EQ(id, app_->config.digest.String());

  auto status = manager_->Status(AppTag());
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(status->has_value());
  const ImageRecord& r = **status;
  EXPECT_EQ(r.id, id);
  EXPECT_THAT(r.repo_tags, ElementsAre(Ref("app:v1")));
  EXPECT_THAT(r.repo_digests, ElementsAre(AppDigestRef()));
  EXPECT_EQ(r.size, app_->Size());
  EXPECT_EQ(r.user, "1000:1000");
  EXPECT_EQ(r.annotations.at("org.example.team"), "silo");
  EXPECT_EQ(r.manifest_digest, app_->manifest.digest.String());
  ASSERT_EQ(r.chain_ids.size(), 3u);
  EXPECT_EQ(r.chain_ids[0], r.diff_ids[0]);
  EXPECT_EQ(r.chain_ids[1], Sha256Of(absl::StrCat(r.diff_ids[0], " ", r.diff_ids[1])).String());

  // Every way of naming it finds it.
  for (const std::string& name : {id, id.substr(7), AppDigestRef()}) {
    auto s = manager_->Status(name);
    ASSERT_TRUE(s.ok()) << name << ": " << s.status();
    EXPECT_TRUE(s->has_value()) << name;
  }
  auto missing = manager_->Status(Ref("app:nope"));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  auto list = manager_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0], r);
  auto filtered = manager_->List(Ref("other:v1"));
  ASSERT_TRUE(filtered.ok());
  EXPECT_TRUE(filtered->empty());

  // Usage covers at least the compressed blobs and the unpacked bytes.
  FsUsage usage = manager_->FsInfo();
  EXPECT_GE(usage.bytes, app_->Size() + 300000);
  EXPECT_GE(usage.inodes, 4 + 7);
}

// CreateContainer reads the process config from the record, never the blob.
TEST_F(ImageManagerTest, ThePullKeepsTheProcessConfigAndOldRecordsGetItAtLoad) {
  std::string id = PullOk(AppTag());
  auto pulled = manager_->Status(id);
  ASSERT_TRUE(pulled.ok() && pulled->has_value());
  EXPECT_TRUE((*pulled)->config_loaded);
  EXPECT_EQ((*pulled)->config.cmd, std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ((*pulled)->config.user, "1000:1000");

  // A record stored before the config was kept: only the layers' keys.
  {
    auto txn = db_->Begin();
    ASSERT_TRUE(txn.ok());
    auto stored = txn->GetKv(LayersKvKey(id));
    ASSERT_TRUE(stored.ok()) << stored.status();
    nlohmann::json old = nlohmann::json::parse(*stored);
    old.erase("config");
    ASSERT_TRUE(txn->PutKv(LayersKvKey(id), old.dump()).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  OpenManager();
  auto loaded = manager_->Status(id);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_TRUE((*loaded)->config_loaded);
  EXPECT_EQ((*loaded)->config, (*pulled)->config);
}

TEST_F(ImageManagerTest, SnapshotsHoldExactlyTheLayerFiles) {
  PullOk(AppTag());
  auto r = manager_->Status(AppTag());
  ASSERT_TRUE(r.ok() && r->has_value());
  for (size_t i = 0; i < app_->files.size(); ++i) {
    std::string dir = manager_->SnapshotDir((*r)->chain_ids[i]);
    EXPECT_EQ(dir, absl::StrCat(root_, "/images/snapshots/", (*r)->chain_ids[i].substr(7)));
    std::vector<std::string> dirs;
    std::map<std::string, std::string> got = FilesIn(dir, &dirs);
    std::map<std::string, std::string> want;
    std::vector<std::string> want_dirs;
    for (const auto& f : app_->files[i]) {
      want[f.path] = f.content;
      for (fs::path p = fs::path(f.path).parent_path(); !p.empty(); p = p.parent_path()) {
        if (std::find(want_dirs.begin(), want_dirs.end(), p.string()) == want_dirs.end()) {
          want_dirs.push_back(p.string());
        }
      }
    }
    EXPECT_EQ(got, want) << "layer " << i;
    EXPECT_THAT(dirs, UnorderedElementsAreArray(want_dirs)) << "layer " << i;
  }
}

TEST_F(ImageManagerTest, PullByDigestRecordsRepoDigestOnly) {
  std::string id = PullOk(AppDigestRef());
  EXPECT_EQ(id, app_->config.digest.String());
  auto r = manager_->Status(AppDigestRef());
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_TRUE((*r)->repo_tags.empty());
  EXPECT_THAT((*r)->repo_digests, ElementsAre(AppDigestRef()));
  EXPECT_EQ((*r)->size, app_->Size());
  // A later pull by tag adds the tag to the same image.
  EXPECT_EQ(PullOk(AppTag()), id);
  r = manager_->Status(id);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_THAT((*r)->repo_tags, ElementsAre(Ref("app:v1")));
  EXPECT_THAT((*r)->repo_digests, ElementsAre(AppDigestRef()));
}

TEST_F(ImageManagerTest, ObserverSeesEachPullItsBytesAndTheDownloadUnpackSplit) {
  PullOk(AppTag());
  PullOk(AppTag());
  EXPECT_EQ(manager_->Pull(Ref("app:no-such-tag")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(observer_.started.load(), 3);
  EXPECT_EQ(observer_.bytes.load(), app_->Size()) << "every registry byte is reported exactly once";
  silo::MutexLock lock(&observer_.mu);
  ASSERT_EQ(observer_.finished.size(), 3u);
  const PullSummary& cold = observer_.finished[0];
  EXPECT_EQ(cold.code, absl::StatusCode::kOk);
  EXPECT_EQ(cold.layers, static_cast<int>(app_->layers.size()));
  EXPECT_EQ(cold.layers_fetched, cold.layers);
  EXPECT_GT(cold.download_seconds, 0);
  EXPECT_GT(cold.unpack_seconds, 0);
  EXPECT_GE(cold.seconds, 0);
  const PullSummary& warm = observer_.finished[1];
  EXPECT_EQ(warm.code, absl::StatusCode::kOk);
  EXPECT_EQ(warm.layers_fetched, 0);
  EXPECT_EQ(warm.download_seconds, 0);
  EXPECT_EQ(observer_.finished[2].code, absl::StatusCode::kNotFound);
}

TEST_F(ImageManagerTest, SecondPullDownloadsNothing) {
  PullOk(AppTag());
  const int64_t first = manager_->registry_client().blob_bytes_received();
  EXPECT_EQ(first, app_->Size());
  PullOk(AppTag());
  PullOk(AppDigestRef());
  EXPECT_EQ(manager_->registry_client().blob_bytes_received(), first);
}

TEST_F(ImageManagerTest, ConcurrentPullsShareOneDownload) {
  constexpr size_t kPullers = 4;
  // The first pull holds still until every other caller has joined it, so
  // the callers really overlap.
  // (Bounded, so a broken single flight fails the count below instead of hanging.)
  OpenManager([&](const std::string& ref) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (manager_->PullCallers(ref) < kPullers && absl::Now() < deadline) std::this_thread::yield();
  });
  std::vector<absl::StatusOr<std::string>> results(kPullers, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = manager_->Pull(AppTag()); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, app_->config.digest.String());
  }
  EXPECT_EQ(manager_->pull_operations(), 1);
  EXPECT_EQ(manager_->registry_client().blob_bytes_received(), app_->Size());
  auto list = manager_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(ImageManagerTest, RemoveByTagDeletesImageAndUnsharedContent) {
  PullOk(AppTag());
  PullOk(Ref("other:v1"));
  FsUsage before = manager_->FsInfo();
  auto app = manager_->Status(AppTag());
  ASSERT_TRUE(app.ok() && app->has_value());
  const ImageRecord rec = **app;

  ASSERT_TRUE(manager_->Remove(AppTag()).ok());
  // The whole image goes, by every name.
  for (const std::string& name : {AppTag(), AppDigestRef(), rec.id}) {
    auto s = manager_->Status(name);
    ASSERT_TRUE(s.ok());
    EXPECT_FALSE(s->has_value()) << name;
  }
  auto& store = manager_->content_store();
  // Layer 0 is shared with "other"; the rest belonged to app alone.
  EXPECT_TRUE(fs::exists(manager_->SnapshotDir(rec.chain_ids[0])));
  EXPECT_TRUE(store.Exists(app_->layers[0].digest));
  for (size_t i = 1; i < rec.chain_ids.size(); ++i) {
    EXPECT_FALSE(fs::exists(manager_->SnapshotDir(rec.chain_ids[i]))) << i;
    EXPECT_FALSE(store.Exists(app_->layers[i].digest)) << i;
  }
  EXPECT_FALSE(store.Exists(app_->config.digest));
  FsUsage after = manager_->FsInfo();
  EXPECT_LT(after.bytes, before.bytes - 300000);
  EXPECT_LT(after.inodes, before.inodes);

  EXPECT_TRUE(manager_->Remove(AppTag()).ok());
  EXPECT_TRUE(manager_->Remove(rec.id).ok());
  auto other = manager_->Status(Ref("other:v1"));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->has_value());

  // Pulling it again brings everything back.
  EXPECT_EQ(PullOk(AppTag()), rec.id);
  for (const auto& c : rec.chain_ids) EXPECT_TRUE(fs::exists(manager_->SnapshotDir(c)));
}

TEST_F(ImageManagerTest, RestartReloadsImages) {
  std::string id = PullOk(AppTag());
  FsUsage before = manager_->FsInfo();
  const int64_t bytes = manager_->registry_client().blob_bytes_received();
  ASSERT_GT(bytes, 0);
  OpenManager();
  auto s = manager_->Status(AppTag());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->id, id);
  EXPECT_EQ((*s)->size, app_->Size());
  FsUsage after = manager_->FsInfo();
  EXPECT_EQ(after.bytes, before.bytes);
  EXPECT_EQ(after.inodes, before.inodes);
  // Nothing is downloaded again by the new manager.
  EXPECT_EQ(PullOk(AppTag()), id);
  EXPECT_EQ(manager_->registry_client().blob_bytes_received(), 0);
}

// The sandbox image is pinned (kubelet's image GC keeps it), whether it was
// pulled before or after silod was told so; other images, and a sandbox
// image silod is no longer configured with, are not.
TEST_F(ImageManagerTest, PinnedReferencesMarkTheirImagesPinned) {
  PullOk(AppTag());
  ASSERT_FALSE((*manager_->Status(AppTag()))->pinned);
  OpenManager(nullptr, {AppTag()});  // at start-up, for images already there
  EXPECT_TRUE((*manager_->Status(AppTag()))->pinned);
  ASSERT_TRUE(manager_->Remove(AppTag()).ok());
  PullOk(AppTag());  // and for a new pull
  EXPECT_TRUE((*manager_->Status(AppTag()))->pinned);
  PullOk(Ref("other:v1"));
  EXPECT_FALSE((*manager_->Status(Ref("other:v1")))->pinned);
  // Pinned only while configured: another sandbox image unpins the old one.
  OpenManager(nullptr, {Ref("other:v1")});
  EXPECT_FALSE((*manager_->Status(AppTag()))->pinned);
  EXPECT_TRUE((*manager_->Status(Ref("other:v1")))->pinned);
  // A reference that cannot name an image is refused at start-up.
  ImageManagerOptions bad;
  bad.root = absl::StrCat(root_, "/images");
  bad.pinned_references = {"Not A Reference"};
  auto m = ImageManager::Open(bad, db_.get());
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(std::string(m.status().message()), ::testing::HasSubstr("pinned reference"));
}

TEST_F(ImageManagerTest, UnrecordedLeftoversAreReusedThenCollected) {
  // What a pull killed after unpacking but before recording leaves behind:
  // blobs, snapshots, and an interrupted unpack's temporary directory.
  std::string id = PullOk(AppTag());
  auto rec = manager_->Status(AppTag());
  ASSERT_TRUE(rec.ok() && rec->has_value());
  auto forget = [&] {
    return db_->InTransaction([&](runtime::store::Transaction& txn) {
      absl::Status s = txn.DeleteImage(id);
      return s.ok() ? txn.DeleteKv(LayersKvKey(id)) : s;
    });
  };
  ASSERT_TRUE(forget().ok());
  const std::string snap = manager_->SnapshotDir((*rec)->chain_ids[1]);
  fs::create_directories(absl::StrCat(snap, ".tmp-123/etc"));
  OpenManager();
  auto list = manager_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());  // never visible without its record
  EXPECT_FALSE(fs::exists(absl::StrCat(snap, ".tmp-123")));
  EXPECT_TRUE(fs::exists(snap));

  // The re-pull needs no download.
  EXPECT_EQ(PullOk(AppTag()), id);
  EXPECT_EQ(manager_->registry_client().blob_bytes_received(), 0);

  // Leftovers again; a Remove of anything collects them.
  ASSERT_TRUE(forget().ok());
  OpenManager();
  EXPECT_GT(manager_->FsInfo().bytes, 0);
  ASSERT_TRUE(manager_->Remove(Ref("nothing:here")).ok());
  EXPECT_FALSE(fs::exists(snap));
  EXPECT_FALSE(manager_->content_store().Exists(app_->layers[1].digest));
  EXPECT_EQ(manager_->FsInfo().bytes, 0);
  EXPECT_EQ(manager_->FsInfo().inodes, 0);
}

TEST_F(ImageManagerTest, IdlePartialDownloadsExpire) {
  // What a pull that failed at its commit, and was never retried, leaves.
  {
    auto w = manager_->content_store().OpenWriter("stale-layer", app_->layers[0].digest, app_->layers[0].size);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->Write("partial").ok());
  }
  auto ingests = [&] {
    auto list = manager_->content_store().ListIngests();
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? list->size() : size_t{0};
  };
  ASSERT_EQ(ingests(), 1u);
  OpenManager();
  EXPECT_EQ(ingests(), 1u) << "young: a pull may still resume it";
  ASSERT_TRUE(manager_->Remove(Ref("nothing:here")).ok());
  EXPECT_EQ(ingests(), 1u);
  ingest_expiry_ = absl::ZeroDuration();
  OpenManager();
  EXPECT_EQ(ingests(), 0u) << "idle past the expiry: deleted at start-up";
  PullOk(AppTag());  // a pull's own ingest is held while it runs and committed after
  EXPECT_EQ(ingests(), 0u);
}

TEST_F(ImageManagerTest, TagMovesToTheNewImage) {
  std::string old_id = PullOk(AppTag());
  // Re-push "other" under app's tag.
  ASSERT_TRUE(registry_->Push(*other_layout_dir_, "moving", "app").ok());
  std::string new_id = PullOk(Ref("app:moving"));
  ASSERT_TRUE(registry_->Push(*layout_dir_, "moving", "app").ok());
  EXPECT_EQ(PullOk(Ref("app:moving")), old_id);
  auto old_rec = manager_->Status(old_id);
  auto new_rec = manager_->Status(new_id);
  ASSERT_TRUE(old_rec.ok() && old_rec->has_value());
  ASSERT_TRUE(new_rec.ok() && new_rec->has_value());
  EXPECT_THAT((*old_rec)->repo_tags, ElementsAre(Ref("app:v1"), Ref("app:moving")));
  EXPECT_TRUE((*new_rec)->repo_tags.empty());
  EXPECT_EQ((*new_rec)->repo_digests.size(), 1u);  // still listed by digest, as containerd does
}

TEST_F(ImageManagerTest, BadReferenceIsInvalidArgument) {
  auto r = manager_->Pull("Not A Reference!");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_EQ(manager_->Remove("bad ref!!").code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ImageManagerTest, UnknownImageIsNotFound) {
  auto r = manager_->Pull(Ref("missing:v1"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  auto tag = manager_->Pull(Ref("app:nope"));
  EXPECT_EQ(tag.status().code(), absl::StatusCode::kNotFound) << tag.status();
  auto list = manager_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST(ChainIdsTest, FollowsTheOciFormula) {
  std::string a = Sha256Of("a").String(), b = Sha256Of("b").String(), c = Sha256Of("c").String();
  auto chain = ChainIds({a, b, c});
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain[0], a);
  EXPECT_EQ(chain[1], Sha256Of(absl::StrCat(a, " ", b)).String());
  EXPECT_EQ(chain[2], Sha256Of(absl::StrCat(chain[1], " ", c)).String());
  EXPECT_TRUE(ChainIds({}).empty());
}

}  // namespace
}  // namespace silo::image
