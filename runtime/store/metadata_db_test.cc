#include "runtime/store/metadata_db.h"

#include <sqlite3.h>

#include "gtest/gtest.h"
#include "runtime/base/status_macros.h"
#include "runtime/store/temp_dir_for_test.h"

namespace silo::runtime::store {
namespace {

model::SandboxRecord Sandbox(const std::string& id) {
  model::SandboxRecord r;
  r.id = id;
  r.metadata = {"pod-" + id, "default", "uid-" + id, 0};
  r.created_at_ns = 100;
  r.state = model::SandboxState::kReady;
  r.labels = {{"app", "x"}};
  return r;
}

model::ContainerRecord Container(const std::string& id, const std::string& sandbox_id) {
  model::ContainerRecord r;
  r.id = id;
  r.sandbox_id = sandbox_id;
  r.metadata = {"c-" + id, 0};
  r.created_at_ns = 200;
  return r;
}

// A second, raw connection to the same file: what another process sees.
class RawDb {
 public:
  explicit RawDb(const std::string& path) { EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK); }
  ~RawDb() { sqlite3_close(db_); }
  int Exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }
  std::string Scalar(const char* sql) {
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(MetadataDbTest, OpensWithWalFullSyncAndForeignKeys) {
  TempDirForTest dir;
  auto db = MetadataDb::Open(dir.path() + "/root");
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ((*db)->path(), dir.path() + "/root/metadata.db");
  EXPECT_EQ(*(*db)->Pragma("journal_mode"), "wal");
  EXPECT_EQ(*(*db)->Pragma("synchronous"), "2");  // FULL
  EXPECT_EQ(*(*db)->Pragma("foreign_keys"), "1");
  EXPECT_EQ(*(*db)->Pragma("user_version"), std::to_string(kSchemaVersion));
  // WAL is a property of the file: another connection sees it too.
  RawDb raw((*db)->path());
  EXPECT_EQ(raw.Scalar("PRAGMA journal_mode"), "wal");
  EXPECT_EQ((*db)->Pragma("x; DROP TABLE kv").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MetadataDbTest, SandboxAndContainerCrud) {
  TempDirForTest dir;
  auto db = MetadataDb::Open(dir.path());
  ASSERT_TRUE(db.ok()) << db.status();
  MetadataDb& m = **db;

  ASSERT_TRUE(m.InTransaction([](Transaction& tx) { return tx.InsertSandbox(Sandbox("s1")); }).ok());
  absl::Status dup =
      m.InTransaction([](Transaction& tx) { return tx.InsertSandbox(Sandbox("s1")); });
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists) << dup;
  EXPECT_NE(dup.message().find("insert sandbox"), absl::string_view::npos) << dup;
  EXPECT_NE(dup.message().find("s1"), absl::string_view::npos) << dup;

  model::SandboxRecord changed = Sandbox("s1");
  changed.state = model::SandboxState::kNotReady;
  changed.ip = "10.0.0.9";
  ASSERT_TRUE(m.InTransaction([&](Transaction& tx) { return tx.UpdateSandbox(changed); }).ok());
  EXPECT_EQ(m.InTransaction([](Transaction& tx) { return tx.UpdateSandbox(Sandbox("nope")); })
                .code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(m.InTransaction([](Transaction& tx) {
                 return tx.InsertContainer(Container("c1", "s1"));
               }).ok());
  auto tx = m.Begin();
  ASSERT_TRUE(tx.ok()) << tx.status();
  auto got = tx->GetSandbox("s1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, changed);
  auto containers = tx->ListContainers();
  ASSERT_TRUE(containers.ok());
  ASSERT_EQ(containers->size(), 1u);
  EXPECT_EQ((*containers)[0], Container("c1", "s1"));
  EXPECT_EQ(tx->GetContainer("zz").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(tx->DeleteContainer("c1").ok());
  EXPECT_EQ(tx->DeleteContainer("c1").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(tx->DeleteSandbox("s1").ok());
  ASSERT_TRUE(tx->Commit().ok());
  auto tx2 = m.Begin();
  ASSERT_TRUE(tx2.ok());
  EXPECT_TRUE(tx2->ListSandboxes()->empty());
}

TEST(MetadataDbTest, ForeignKeyRefusesOrphansAndBusySandboxDelete) {
  TempDirForTest dir;
  auto db = MetadataDb::Open(dir.path());
  ASSERT_TRUE(db.ok()) << db.status();
  MetadataDb& m = **db;
  absl::Status orphan =
      m.InTransaction([](Transaction& tx) { return tx.InsertContainer(Container("c1", "ghost")); });
  EXPECT_EQ(orphan.code(), absl::StatusCode::kFailedPrecondition) << orphan;

  ASSERT_TRUE(m.InTransaction([](Transaction& tx) {
                 SILO_RETURN_IF_ERROR(tx.InsertSandbox(Sandbox("s1")));
                 return tx.InsertContainer(Container("c1", "s1"));
               }).ok());
  absl::Status busy = m.InTransaction([](Transaction& tx) { return tx.DeleteSandbox("s1"); });
  EXPECT_EQ(busy.code(), absl::StatusCode::kFailedPrecondition) << busy;
  EXPECT_NE(busy.message().find("FOREIGN KEY"), absl::string_view::npos) << busy;
  auto tx = m.Begin();
  ASSERT_TRUE(tx.ok());
  EXPECT_TRUE(tx->GetSandbox("s1").ok());
  EXPECT_TRUE(tx->GetContainer("c1").ok());
}

TEST(MetadataDbTest, RollsBackWithoutCommit) {
  TempDirForTest dir;
  auto db = MetadataDb::Open(dir.path());
  ASSERT_TRUE(db.ok()) << db.status();
  {
    auto tx = (*db)->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(tx->InsertSandbox(Sandbox("s1")).ok());
  }  // destroyed without Commit
  absl::Status failed = (*db)->InTransaction([](Transaction& tx) -> absl::Status {
    SILO_RETURN_IF_ERROR(tx.InsertSandbox(Sandbox("s2")));
    return absl::AbortedError("changed my mind");
  });
  EXPECT_EQ(failed.code(), absl::StatusCode::kAborted);
  auto tx = (*db)->Begin();
  ASSERT_TRUE(tx.ok());
  EXPECT_TRUE(tx->ListSandboxes()->empty());
}

TEST(MetadataDbTest, PersistsAcrossReopen) {
  TempDirForTest dir;
  ImageEntry image{"sha256:abc", {"docker.io/library/busybox:1.36"}, {"docker.io/library/busybox@sha256:def"},
                   4096, true, "nobody", {{"k", "v"}}, 123};
  {
    auto db = MetadataDb::Open(dir.path());
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->InTransaction([&](Transaction& tx) -> absl::Status {
                   SILO_RETURN_IF_ERROR(tx.InsertSandbox(Sandbox("s1")));
                   SILO_RETURN_IF_ERROR(tx.InsertContainer(Container("c1", "s1")));
                   SILO_RETURN_IF_ERROR(tx.PutImage(image));
                   SILO_RETURN_IF_ERROR(tx.PutKv("gc/last", std::string("\0\1bin", 5)));
                   return tx.PutKv("other", "x");
                 }).ok());
  }
  auto db = MetadataDb::Open(dir.path());
  ASSERT_TRUE(db.ok()) << db.status();
  auto tx = (*db)->Begin();
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(*tx->GetSandbox("s1"), Sandbox("s1"));
  EXPECT_EQ(*tx->GetContainer("c1"), Container("c1", "s1"));
  EXPECT_EQ(*tx->GetImage("sha256:abc"), image);
  EXPECT_EQ(*tx->GetKv("gc/last"), std::string("\0\1bin", 5));
  auto listed = tx->ListKv("gc/");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
}

TEST(MetadataDbTest, ImagesUpsertAndDelete) {
  TempDirForTest dir;
  auto db = MetadataDb::Open(dir.path());
  ASSERT_TRUE(db.ok()) << db.status();
  auto tx = (*db)->Begin();
  ASSERT_TRUE(tx.ok());
  ImageEntry e{"sha256:1", {"a:1"}, {}, 10, false, "", {}, 1};
  ASSERT_TRUE(tx->PutImage(e).ok());
  e.repo_tags.push_back("a:latest");
  e.pinned = true;
  ASSERT_TRUE(tx->PutImage(e).ok());
  auto all = tx->ListImages();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0], e);
  ASSERT_TRUE(tx->DeleteImage("sha256:1").ok());
  EXPECT_EQ(tx->GetImage("sha256:1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(tx->DeleteImage("sha256:1").code(), absl::StatusCode::kNotFound);
}

TEST(MetadataDbTest, MigratesFromUserVersionZero) {
  TempDirForTest dir;
  std::string path = dir.path() + "/metadata.db";
  {
    RawDb raw(path);  // an existing file at user_version 0 with a foreign table
    ASSERT_EQ(raw.Exec("CREATE TABLE leftover (x INTEGER)"), SQLITE_OK);
    ASSERT_EQ(raw.Scalar("PRAGMA user_version"), "0");
  }
  auto db = MetadataDb::Open(dir.path());
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(*(*db)->Pragma("user_version"), std::to_string(kSchemaVersion));
  ASSERT_TRUE((*db)->InTransaction([](Transaction& tx) -> absl::Status {
                   SILO_RETURN_IF_ERROR(tx.InsertSandbox(Sandbox("s1")));
                   return tx.PutKv("k", "v");
                 }).ok());
}

TEST(MetadataDbTest, MigrationStepKeepsData) {
  TempDirForTest dir;
  {
    MetadataDb::Options v1;
    v1.schema_version = 1;
    auto db = MetadataDb::Open(dir.path(), v1);
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_EQ(*(*db)->Pragma("user_version"), "1");
    ASSERT_TRUE((*db)->InTransaction([](Transaction& tx) { return tx.InsertSandbox(Sandbox("s1")); })
                    .ok());
    // kv arrives with schema 2.
    EXPECT_FALSE((*db)->InTransaction([](Transaction& tx) { return tx.PutKv("k", "v"); }).ok());
  }
  auto db = MetadataDb::Open(dir.path());
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(*(*db)->Pragma("user_version"), "2");
  auto tx = (*db)->Begin();
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(*tx->GetSandbox("s1"), Sandbox("s1"));
  EXPECT_TRUE(tx->PutKv("k", "v").ok());
}

TEST(MetadataDbTest, RefusesANewerSchema) {
  TempDirForTest dir;
  {
    RawDb raw(dir.path() + "/metadata.db");
    ASSERT_EQ(raw.Exec("PRAGMA user_version = 99"), SQLITE_OK);
  }
  auto db = MetadataDb::Open(dir.path());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition) << db.status();
  EXPECT_NE(db.status().message().find("99"), absl::string_view::npos);
}

TEST(MetadataDbTest, CorruptRecordIsDataLossNamingTheRow) {
  TempDirForTest dir;
  auto db = MetadataDb::Open(dir.path());
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->InTransaction([](Transaction& tx) { return tx.InsertSandbox(Sandbox("s1")); })
                  .ok());
  RawDb raw((*db)->path());
  ASSERT_EQ(raw.Exec("UPDATE sandboxes SET record = '{broken' WHERE id = 's1'"), SQLITE_OK);
  auto tx = (*db)->Begin();
  ASSERT_TRUE(tx.ok());
  absl::Status s = tx->ListSandboxes().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("s1"), absl::string_view::npos) << s;
}

TEST(MetadataDbTest, LockedByAnotherProcessIsUnavailable) {
  TempDirForTest dir;
  MetadataDb::Options options;
  options.busy_timeout_ms = 20;
  auto db = MetadataDb::Open(dir.path(), options);
  ASSERT_TRUE(db.ok()) << db.status();
  RawDb raw((*db)->path());
  ASSERT_EQ(raw.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  absl::Status s = (*db)->InTransaction([](Transaction& tx) { return tx.PutKv("k", "v"); });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_NE(s.message().find("begin transaction"), absl::string_view::npos) << s;
  ASSERT_EQ(raw.Exec("COMMIT"), SQLITE_OK);
  EXPECT_TRUE((*db)->InTransaction([](Transaction& tx) { return tx.PutKv("k", "v"); }).ok());
}

}  // namespace
}  // namespace silo::runtime::store
