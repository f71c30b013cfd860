#include "runtime/store/sandbox_store.h"

#include <sqlite3.h>

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/store/temp_dir_for_test.h"

namespace silo::runtime::store {
namespace {

using model::SandboxRecord;
using model::SandboxState;

SandboxRecord Sandbox(const std::string& id, std::map<std::string, std::string> labels = {}) {
  SandboxRecord r;
  r.id = id;
  r.metadata = {"pod-" + id, "default", "uid-" + id, 0};
  r.created_at_ns = 1;
  r.state = SandboxState::kCreating;
  r.labels = std::move(labels);
  return r;
}

class SandboxStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = MetadataDb::Open(dir_.path());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    store_ = std::make_unique<SandboxStore>(db_.get());
  }

  // Executes SQL on an independent connection, as another process would.
  void RawExec(const char* sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db_->path().c_str(), &raw), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(raw, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
    sqlite3_close(raw);
  }

  TempDirForTest dir_;
  std::unique_ptr<MetadataDb> db_;
  std::unique_ptr<SandboxStore> store_;
};

TEST_F(SandboxStoreTest, AddGetDeleteAndReload) {
  ASSERT_TRUE(store_->Add(Sandbox("aaa1")).ok());
  EXPECT_EQ(store_->Add(Sandbox("aaa1")).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->Add(Sandbox("")).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->Add(Sandbox("bbb2")).ok());
  EXPECT_EQ(*store_->Get("aaa1"), Sandbox("aaa1"));

  SandboxStore reloaded(db_.get());
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(reloaded.size(), 2u);
  EXPECT_EQ(*reloaded.Get("bbb2"), Sandbox("bbb2"));

  ASSERT_TRUE(store_->Delete("aaa1").ok());
  EXPECT_EQ(store_->Delete("aaa1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("aaa1").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(reloaded.size(), 1u);
}

TEST_F(SandboxStoreTest, PrefixLookupLikeTruncIndex) {
  ASSERT_TRUE(store_->Add(Sandbox("abc123")).ok());
  ASSERT_TRUE(store_->Add(Sandbox("abd456")).ok());
  ASSERT_TRUE(store_->Add(Sandbox("ab")).ok());
  EXPECT_EQ(*store_->ResolveId("abc"), "abc123");
  EXPECT_EQ(store_->Get("abd")->id, "abd456");
  EXPECT_EQ(*store_->ResolveId("ab"), "ab");  // an exact id wins over longer ones
  absl::Status ambiguous = store_->ResolveId("a").status();
  EXPECT_EQ(ambiguous.code(), absl::StatusCode::kInvalidArgument) << ambiguous;
  EXPECT_NE(ambiguous.message().find("ambiguous"), absl::string_view::npos) << ambiguous;
  EXPECT_EQ(store_->ResolveId("abe").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ResolveId("zz").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ResolveId("").status().code(), absl::StatusCode::kInvalidArgument);
  // A filter with an ambiguous or unknown id matches nothing.
  EXPECT_TRUE(store_->List({.id = "a"}).empty());
  EXPECT_TRUE(store_->List({.id = "q"}).empty());
  ASSERT_EQ(store_->List({.id = "abc"}).size(), 1u);
}

TEST_F(SandboxStoreTest, FiltersAreAnded) {
  ASSERT_TRUE(store_->Add(Sandbox("s1", {{"app", "web"}, {"tier", "front"}})).ok());
  ASSERT_TRUE(store_->Add(Sandbox("s2", {{"app", "web"}, {"tier", "back"}})).ok());
  ASSERT_TRUE(store_->Add(Sandbox("s3", {{"app", "db"}})).ok());
  ASSERT_TRUE(store_->Update("s2", [](SandboxRecord& r) {
                       r.state = SandboxState::kReady;
                       return absl::OkStatus();
                     }).ok());

  EXPECT_EQ(store_->List().size(), 3u);
  EXPECT_EQ(store_->List({.labels = {{"app", "web"}}}).size(), 2u);
  auto both = store_->List({.labels = {{"app", "web"}, {"tier", "back"}}});
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0].id, "s2");
  EXPECT_TRUE(store_->List({.labels = {{"app", "db"}, {"tier", "front"}}}).empty());
  auto ready = store_->List({.state = SandboxState::kReady, .labels = {{"app", "web"}}});
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].id, "s2");
  EXPECT_TRUE(store_->List({.id = "s1", .state = SandboxState::kReady}).empty());
}

// Visit hands over the records List would copy, in id order, with the same
// filters, and nothing for an id prefix that resolves to no record.
TEST_F(SandboxStoreTest, VisitSeesWhatListReturnsInIdOrder) {
  ASSERT_TRUE(store_->Add(Sandbox("s2", {{"app", "web"}})).ok());
  ASSERT_TRUE(store_->Add(Sandbox("s1", {{"app", "web"}})).ok());
  ASSERT_TRUE(store_->Add(Sandbox("s3", {{"app", "db"}})).ok());
  std::vector<std::string> seen;
  store_->Visit({.labels = {{"app", "web"}}}, [&seen](const SandboxRecord& r) { seen.push_back(r.id); });
  EXPECT_EQ(seen, (std::vector<std::string>{"s1", "s2"}));
  seen.clear();
  store_->Visit({.id = "s3"}, [&seen](const SandboxRecord& r) { seen.push_back(r.id); });
  EXPECT_EQ(seen, (std::vector<std::string>{"s3"}));
  seen.clear();
  store_->Visit({.id = "x"}, [&seen](const SandboxRecord& r) { seen.push_back(r.id); });
  EXPECT_TRUE(seen.empty());
}

TEST_F(SandboxStoreTest, UpdatePersistsAndEnforcesTheStateMachine) {
  ASSERT_TRUE(store_->Add(Sandbox("s1")).ok());
  auto updated = store_->Update("s1", [](SandboxRecord& r) {
    r.state = SandboxState::kReady;
    r.ip = "10.88.0.2";
    r.AddStep("netns", "/run/netns/s1", 5);
    return absl::OkStatus();
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->ip, "10.88.0.2");

  absl::Status illegal = store_->Update("s1", [](SandboxRecord& r) {
                                 r.state = SandboxState::kCreating;
                                 return absl::OkStatus();
                               })
                             .status();
  EXPECT_EQ(illegal.code(), absl::StatusCode::kFailedPrecondition) << illegal;
  EXPECT_NE(illegal.message().find("s1"), absl::string_view::npos) << illegal;
  EXPECT_EQ(store_->Update("s1", [](SandboxRecord& r) {
                    r.metadata.name = "renamed";
                    return absl::OkStatus();
                  }).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Update("nope", [](SandboxRecord&) { return absl::OkStatus(); }).status().code(),
            absl::StatusCode::kNotFound);

  SandboxStore reloaded(db_.get());
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(*reloaded.Get("s1"), *updated);
}

TEST_F(SandboxStoreTest, UpdateFunctionErrorChangesNothing) {
  ASSERT_TRUE(store_->Add(Sandbox("s1")).ok());
  absl::Status s = store_->Update("s1", [](SandboxRecord& r) {
                           r.ip = "10.0.0.1";
                           return absl::UnavailableError("cni down");
                         })
                       .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->Get("s1")->ip, "");
}

TEST_F(SandboxStoreTest, UpdateRollsBackWhenTheDatabaseRefuses) {
  ASSERT_TRUE(store_->Add(Sandbox("s1")).ok());
  // A real SQLite failure at write time, injected from outside the store.
  RawExec("CREATE TRIGGER refuse BEFORE UPDATE ON sandboxes "
          "BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
  absl::Status s = store_->Update("s1", [](SandboxRecord& r) {
                           r.state = SandboxState::kReady;
                           return absl::OkStatus();
                         })
                       .status();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("disk says no"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("update sandbox"), absl::string_view::npos) << s;
  EXPECT_EQ(store_->Get("s1")->state, SandboxState::kCreating);
  EXPECT_EQ(store_->List({.state = SandboxState::kReady}).size(), 0u);

  RawExec("DROP TRIGGER refuse");
  ASSERT_TRUE(store_->Update("s1", [](SandboxRecord& r) {
                       r.state = SandboxState::kReady;
                       return absl::OkStatus();
                     }).ok());
  SandboxStore reloaded(db_.get());
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(reloaded.Get("s1")->state, SandboxState::kReady);
}

TEST_F(SandboxStoreTest, AddAndDeleteLeaveMemoryAloneWhenTheDatabaseFails) {
  RawExec("CREATE TRIGGER refuse_insert BEFORE INSERT ON sandboxes "
          "BEGIN SELECT RAISE(ABORT, 'no inserts'); END");
  EXPECT_FALSE(store_->Add(Sandbox("s1")).ok());
  EXPECT_EQ(store_->size(), 0u);
  RawExec("DROP TRIGGER refuse_insert");
  ASSERT_TRUE(store_->Add(Sandbox("s1")).ok());
  RawExec("CREATE TRIGGER refuse_delete BEFORE DELETE ON sandboxes "
          "BEGIN SELECT RAISE(ABORT, 'no deletes'); END");
  EXPECT_FALSE(store_->Delete("s1").ok());
  EXPECT_TRUE(store_->Get("s1").ok());
}

TEST_F(SandboxStoreTest, ConcurrentUpdatesAreSerialisedAndAllPersist) {
  ASSERT_TRUE(store_->Add(Sandbox("s1")).ok());
  constexpr int kThreads = 6;
  constexpr int kPerThread = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store_->Update("s1", [&](SandboxRecord& rec) {
          rec.AddStep("step", std::to_string(t) + "/" + std::to_string(i), i);
          return absl::OkStatus();
        });
        EXPECT_TRUE(r.ok()) << r.status();
        // Readers run alongside writers.
        EXPECT_TRUE(store_->Get("s1").ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store_->Get("s1")->steps.size(), size_t{kThreads * kPerThread});
  SandboxStore reloaded(db_.get());
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(reloaded.Get("s1")->steps.size(), size_t{kThreads * kPerThread});
}

}  // namespace
}  // namespace silo::runtime::store
