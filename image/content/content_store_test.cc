#include "image/content/content_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace silo::image::content {
namespace {

namespace fs = std::filesystem;

std::string Payload(size_t n, int seed) {
  std::string s(n, '\0');
  uint32_t x = static_cast<uint32_t>(seed) * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(x >> 16);
  }
  return s;
}

bool Contains(const absl::Status& s, const std::string& needle) {
  return std::string(s.message()).find(needle) != std::string::npos;
}

class ContentStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo_content_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  void Reopen() {
    store_.reset();
    auto s = ContentStore::Open(root_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  size_t IngestEntries() const {
    size_t n = 0;
    for (auto it = fs::directory_iterator(root_ + "/ingest"); it != fs::directory_iterator(); ++it) ++n;
    return n;
  }
  // Writes `data` under `ref` and commits it.
  absl::StatusOr<Digest> Put(const std::string& ref, const std::string& data) {
    auto w = store_->OpenWriter(ref, Sha256Of(data), static_cast<int64_t>(data.size()));
    if (!w.ok()) return w.status();
    absl::Status s = (*w)->Write(data);
    if (!s.ok()) return s;
    return (*w)->Commit();
  }

  std::string root_;
  std::unique_ptr<ContentStore> store_;
};

TEST_F(ContentStoreTest, RoundTrip) {
  const std::string data = Payload(300000, 1);
  const Digest d = Sha256Of(data);
  auto w = store_->OpenWriter("layer-1", d, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->offset(), 0);
  for (size_t off = 0; off < data.size(); off += 65536) {
    ASSERT_TRUE((*w)->Write(absl::string_view(data).substr(off, 65536)).ok());
  }
  EXPECT_EQ((*w)->offset(), static_cast<int64_t>(data.size()));
  // Not visible before commit.
  EXPECT_FALSE(store_->Exists(d));
  auto committed = (*w)->Commit();
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, d);

  EXPECT_TRUE(store_->Exists(d));
  auto info = store_->Info(d);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, static_cast<int64_t>(data.size()));
  EXPECT_EQ(*store_->ReadBlob(d, 1 << 20), data);
  EXPECT_EQ(store_->ReadBlob(d, 100).status().code(), absl::StatusCode::kResourceExhausted);

  auto reader = store_->OpenReader(d);
  ASSERT_TRUE(reader.ok());
  char buf[10];
  auto n = reader->ReadAt(1000, buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 10u);
  EXPECT_EQ(std::string(buf, 10), data.substr(1000, 10));
  n = reader->ReadAt(static_cast<int64_t>(data.size()) - 4, buf, sizeof(buf));
  EXPECT_EQ(*n, 4u);

  struct stat st;
  ASSERT_EQ(::stat(store_->BlobPath(d).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_EQ(store_->BlobPath(d), root_ + "/blobs/sha256/" + d.hex);

  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].digest, d);
  EXPECT_EQ(store_->GetUsage(), (Usage{static_cast<int64_t>(data.size()), 1}));
  EXPECT_EQ(IngestEntries(), 0u);
  // The writer is finished.
  EXPECT_EQ((*w)->Write("x").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ContentStoreTest, MissingBlob) {
  const Digest d = Sha256Of("nothing");
  EXPECT_FALSE(store_->Exists(d));
  EXPECT_EQ(store_->Info(d).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenReader(d).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(store_->Info(d).status(), d.String()));
}

TEST_F(ContentStoreTest, WrongDigestIsDataLossAndLeavesNothing) {
  const std::string data = "hello world";
  const Digest wrong = Sha256Of("something else");
  auto w = store_->OpenWriter("r", wrong, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(data).ok());
  auto c = (*w)->Commit();
  ASSERT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
  EXPECT_TRUE(Contains(c.status(), wrong.String()));
  EXPECT_TRUE(Contains(c.status(), Sha256Of(data).String()));
  EXPECT_FALSE(store_->Exists(wrong));
  EXPECT_FALSE(store_->Exists(Sha256Of(data)));
  EXPECT_EQ(IngestEntries(), 0u);
  EXPECT_EQ(store_->GetUsage(), Usage{});
  EXPECT_EQ((*w)->Commit().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ContentStoreTest, ShortContentFailsCommit) {
  const std::string data = Payload(1000, 2);
  auto w = store_->OpenWriter("r", Sha256Of(data), 1000);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(data.substr(0, 999)).ok());
  auto c = (*w)->Commit();
  ASSERT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(c.status(), "expected 1000 bytes, got 999")) << c.status();
  EXPECT_EQ(IngestEntries(), 0u);
  EXPECT_FALSE(store_->Exists(Sha256Of(data)));
}

TEST_F(ContentStoreTest, WritePastExpectedSizeFailsImmediately) {
  const std::string data = Payload(1000, 3);
  auto w = store_->OpenWriter("r", Sha256Of(data), 1000);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(data.substr(0, 600)).ok());
  absl::Status s = (*w)->Write(data.substr(0, 401));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(s, "exceed the expected size 1000")) << s;
  EXPECT_EQ(IngestEntries(), 0u);
  EXPECT_EQ((*w)->Commit().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ContentStoreTest, UnknownSizeVerifiesDigestOnly) {
  const std::string data = Payload(5000, 4);
  auto w = store_->OpenWriter("r", Sha256Of(data), kUnknownSize);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(data).ok());
  auto c = (*w)->Commit();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(store_->Info(*c)->size, 5000);
}

TEST_F(ContentStoreTest, CrashThenResumeFromOffset) {
  const std::string data = Payload(200000, 5);
  const Digest d = Sha256Of(data);
  {
    auto w = store_->OpenWriter("layer-x", d, static_cast<int64_t>(data.size()));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(data.substr(0, 123457)).ok());
    // Destroyed without Commit: like a process killed mid-download.
  }
  Reopen();
  auto ingests = store_->ListIngests();
  ASSERT_TRUE(ingests.ok());
  ASSERT_EQ(ingests->size(), 1u);
  EXPECT_EQ((*ingests)[0].ref, "layer-x");
  EXPECT_EQ((*ingests)[0].offset, 123457);
  EXPECT_EQ((*ingests)[0].expected, d);
  EXPECT_EQ((*ingests)[0].expected_size, static_cast<int64_t>(data.size()));
  EXPECT_FALSE((*ingests)[0].active);

  auto w = store_->OpenWriter("layer-x", d, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ((*w)->offset(), 123457);
  EXPECT_TRUE((*store_->ListIngests())[0].active);
  ASSERT_TRUE((*w)->Write(data.substr(123457)).ok());
  auto c = (*w)->Commit();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, d);
  EXPECT_EQ(*store_->ReadBlob(d, 1 << 20), data);
  EXPECT_EQ(IngestEntries(), 0u);
}

TEST_F(ContentStoreTest, ResumeRehashesWhatIsOnDisk) {
  const std::string data = Payload(4096, 6);
  const Digest d = Sha256Of(data);
  {
    auto w = store_->OpenWriter("r", d, 4096);
    ASSERT_TRUE(w.ok());
    // Wrong first half (e.g. a corrupted partial download).
    ASSERT_TRUE((*w)->Write(Payload(2048, 99)).ok());
  }
  auto w = store_->OpenWriter("r", d, 4096);
  ASSERT_TRUE(w.ok());
  ASSERT_EQ((*w)->offset(), 2048);
  ASSERT_TRUE((*w)->Write(data.substr(2048)).ok());
  EXPECT_EQ((*w)->Commit().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(IngestEntries(), 0u);
}

TEST_F(ContentStoreTest, ResumeWithOtherExpectationsStartsOver) {
  const std::string a = Payload(1000, 7);
  const std::string b = Payload(1000, 8);
  {
    auto w = store_->OpenWriter("same-ref", Sha256Of(a), 1000);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(a.substr(0, 500)).ok());
  }
  auto w = store_->OpenWriter("same-ref", Sha256Of(b), 1000);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->offset(), 0);
  ASSERT_TRUE((*w)->Write(b).ok());
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(*store_->ReadBlob(Sha256Of(b)), b);
}

TEST_F(ContentStoreTest, ResetRestartsFromZero) {
  const std::string data = Payload(3000, 9);
  auto w = store_->OpenWriter("r", Sha256Of(data), 3000);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(data.substr(0, 1000)).ok());
  ASSERT_TRUE((*w)->Reset().ok());
  EXPECT_EQ((*w)->offset(), 0);
  ASSERT_TRUE((*w)->Write(data).ok());
  auto c = (*w)->Commit();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*store_->ReadBlob(*c), data);
}

TEST_F(ContentStoreTest, SecondWriterOnSameRefIsUnavailable) {
  const std::string data = Payload(100, 10);
  auto w1 = store_->OpenWriter("busy", Sha256Of(data), 100);
  ASSERT_TRUE(w1.ok());
  std::vector<std::thread> threads;
  std::atomic<int> unavailable{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto w = store_->OpenWriter("busy", Sha256Of(data), 100);
      if (w.status().code() == absl::StatusCode::kUnavailable) unavailable.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unavailable.load(), 4);
  EXPECT_EQ(store_->AbortIngest("busy").code(), absl::StatusCode::kUnavailable);
  w1->reset();  // releases the ref
  auto w2 = store_->OpenWriter("busy", Sha256Of(data), 100);
  EXPECT_TRUE(w2.ok()) << w2.status();
}

TEST_F(ContentStoreTest, ConcurrentWritersOnSameRefNeverCorrupt) {
  const std::string data = Payload(500000, 11);
  const Digest d = Sha256Of(data);
  constexpr int kThreads = 6;
  std::atomic<int> committed{0};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      // Retry until the blob exists: each attempt either owns the ref or is told to back off.
      while (true) {
        auto w = store_->OpenWriter("shared", d, static_cast<int64_t>(data.size()));
        if (w.status().code() == absl::StatusCode::kAlreadyExists) return;
        if (w.status().code() == absl::StatusCode::kUnavailable) {
          std::this_thread::yield();
          continue;
        }
        if (!w.ok()) {
          unexpected.fetch_add(1);
          return;
        }
        absl::string_view rest = absl::string_view(data).substr(static_cast<size_t>((*w)->offset()));
        for (size_t off = 0; off < rest.size(); off += 8192) {
          if (!(*w)->Write(rest.substr(off, 8192)).ok()) {
            unexpected.fetch_add(1);
            return;
          }
        }
        if ((*w)->Commit().ok()) {
          committed.fetch_add(1);
        } else {
          unexpected.fetch_add(1);
        }
        return;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_GE(committed.load(), 1);
  EXPECT_EQ(*store_->ReadBlob(d, 1 << 20), data);
  EXPECT_EQ(store_->GetUsage(), (Usage{static_cast<int64_t>(data.size()), 1}));
  EXPECT_EQ(IngestEntries(), 0u);
}

TEST_F(ContentStoreTest, ConcurrentDistinctRefs) {
  constexpr int kThreads = 8;
  std::vector<std::string> payloads;
  int64_t total = 0;
  for (int i = 0; i < kThreads; ++i) {
    payloads.push_back(Payload(10000 + i * 777, 100 + i));
    total += static_cast<int64_t>(payloads.back().size());
  }
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { results[i] = Put(absl::StrCat("ref-", i), payloads[i]).status(); });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i];
    EXPECT_EQ(*store_->ReadBlob(Sha256Of(payloads[i])), payloads[i]);
  }
  EXPECT_EQ(store_->GetUsage(), (Usage{total, kThreads}));
  EXPECT_EQ(store_->List()->size(), static_cast<size_t>(kThreads));
}

TEST_F(ContentStoreTest, SameContentUnderTwoRefsIsStoredOnce) {
  const std::string data = Payload(777, 12);
  const Digest d = Sha256Of(data);
  auto w1 = store_->OpenWriter("a", d, 777);
  auto w2 = store_->OpenWriter("b", d, 777);
  ASSERT_TRUE(w1.ok());
  ASSERT_TRUE(w2.ok());
  ASSERT_TRUE((*w1)->Write(data).ok());
  ASSERT_TRUE((*w2)->Write(data).ok());
  ASSERT_TRUE((*w1)->Commit().ok());
  auto c2 = (*w2)->Commit();
  ASSERT_TRUE(c2.ok()) << c2.status();
  EXPECT_EQ(store_->GetUsage(), (Usage{777, 1}));
  EXPECT_EQ(IngestEntries(), 0u);
  EXPECT_EQ(store_->OpenWriter("c", d, 777).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(ContentStoreTest, DeleteIsIdempotentAndUpdatesUsage) {
  auto a = Put("a", Payload(1000, 13));
  auto b = Put("b", Payload(2000, 14));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(store_->GetUsage(), (Usage{3000, 2}));
  auto reader = store_->OpenReader(*a);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(store_->Delete(*a).ok());
  EXPECT_FALSE(store_->Exists(*a));
  EXPECT_EQ(store_->GetUsage(), (Usage{2000, 1}));
  ASSERT_TRUE(store_->Delete(*a).ok());
  EXPECT_EQ(store_->GetUsage(), (Usage{2000, 1}));
  // An open reader still sees the whole deleted blob.
  EXPECT_EQ(*reader->ReadAll(1 << 20), Payload(1000, 13));
  ASSERT_TRUE(store_->Delete(Sha256Of("never stored")).ok());
  EXPECT_EQ(store_->GetUsage(), (Usage{2000, 1}));
}

TEST_F(ContentStoreTest, UsageIsRecomputedAtOpen) {
  ASSERT_TRUE(Put("a", Payload(1234, 15)).ok());
  ASSERT_TRUE(Put("b", Payload(4321, 16)).ok());
  auto c = Put("c", Payload(99, 17));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(store_->Delete(*c).ok());
  const Usage before = store_->GetUsage();
  EXPECT_EQ(before, (Usage{1234 + 4321, 2}));
  Reopen();
  EXPECT_EQ(store_->GetUsage(), before);
}

TEST_F(ContentStoreTest, OpenCleansStaleLeftovers) {
  const std::string data = Payload(1000, 18);
  {
    auto w = store_->OpenWriter("keep", Sha256Of(data), 1000);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(data.substr(0, 10)).ok());
  }
  store_.reset();
  // A crash while creating an ingest (no metadata), a temporary file from an
  // interrupted metadata write, and junk in blobs/.
  fs::create_directories(root_ + "/ingest/half-created");
  std::ofstream(root_ + "/ingest/half-created/data") << "partial";
  std::string keep_dir;
  for (const auto& e : fs::directory_iterator(root_ + "/ingest")) {
    if (e.path().filename() != "half-created") keep_dir = e.path().string();
  }
  ASSERT_FALSE(keep_dir.empty());
  std::ofstream(keep_dir + "/.meta.json.tmp.abc123") << "{";
  std::ofstream(root_ + "/blobs/sha256/.tmp-upload") << "junk";
  std::ofstream(root_ + "/blobs/sha256/" + std::string(64, 'A')) << "junk";
  Reopen();
  EXPECT_FALSE(fs::exists(root_ + "/ingest/half-created"));
  EXPECT_FALSE(fs::exists(keep_dir + "/.meta.json.tmp.abc123"));
  EXPECT_FALSE(fs::exists(root_ + "/blobs/sha256/.tmp-upload"));
  EXPECT_FALSE(fs::exists(root_ + "/blobs/sha256/" + std::string(64, 'A')));
  EXPECT_EQ(store_->GetUsage(), Usage{});
  auto ingests = store_->ListIngests();
  ASSERT_TRUE(ingests.ok());
  ASSERT_EQ(ingests->size(), 1u);
  EXPECT_EQ((*ingests)[0].ref, "keep");
  EXPECT_EQ((*ingests)[0].offset, 10);
}

TEST_F(ContentStoreTest, AbortIngest) {
  const std::string data = Payload(100, 19);
  {
    auto w = store_->OpenWriter("to-abort", Sha256Of(data), 100);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(data.substr(0, 50)).ok());
  }
  EXPECT_EQ(IngestEntries(), 1u);
  ASSERT_TRUE(store_->AbortIngest("to-abort").ok());
  EXPECT_EQ(IngestEntries(), 0u);
  ASSERT_TRUE(store_->AbortIngest("to-abort").ok());
  ASSERT_TRUE(store_->AbortIngest("never-existed").ok());
  // Writer::Abort discards too.
  auto w = store_->OpenWriter("to-abort", Sha256Of(data), 100);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->offset(), 0);
  ASSERT_TRUE((*w)->Abort().ok());
  EXPECT_EQ(IngestEntries(), 0u);
  EXPECT_TRUE((*w)->Abort().ok());
}

TEST_F(ContentStoreTest, RejectsBadArguments) {
  EXPECT_EQ(store_->OpenWriter("", Sha256Of("x"), 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenWriter("r", Digest{}, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenWriter("r", Digest{"sha256", "../../etc"}, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenWriter("r", Sha256Of("x"), -5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ContentStore::Open("").status().code(), absl::StatusCode::kInvalidArgument);
  const Digest escape{"sha256", "../../escape"};
  EXPECT_FALSE(store_->Exists(escape));
  EXPECT_EQ(store_->Info(escape).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenReader(escape).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Delete(escape).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Delete(Digest{}).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ContentStoreTest, Sha512Blobs) {
  const std::string data = Payload(300, 20);
  auto h = Hasher::Create("sha512");
  ASSERT_TRUE(h.ok());
  h->Update(data);
  const Digest d = h->Current();
  auto w = store_->OpenWriter("s512", d, 300);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Write(data).ok());
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(store_->BlobPath(d), root_ + "/blobs/sha512/" + d.hex);
  EXPECT_EQ(*store_->ReadBlob(d), data);
}

}  // namespace
}  // namespace silo::image::content
