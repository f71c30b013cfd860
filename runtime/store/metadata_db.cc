#include "runtime/store/metadata_db.h"

#include "runtime/base/durations.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/store/sqlite_statement.h"

namespace silo::runtime::store {

namespace {

// Migration N takes the schema from user_version N-1 to N. Append only: a
// released step never changes, because databases in the field ran it.
struct Migration {
  int version;
  const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, R"sql(
      CREATE TABLE sandboxes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        namespace TEXT NOT NULL,
        uid TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        record TEXT NOT NULL);
      CREATE INDEX sandboxes_by_name ON sandboxes(namespace, name);
      CREATE TABLE containers (
        id TEXT PRIMARY KEY,
        sandbox_id TEXT NOT NULL REFERENCES sandboxes(id) ON DELETE RESTRICT,
        name TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        record TEXT NOT NULL);
      CREATE INDEX containers_by_sandbox ON containers(sandbox_id);
      CREATE TABLE images (
        id TEXT PRIMARY KEY,
        repo_tags TEXT NOT NULL DEFAULT '[]',
        repo_digests TEXT NOT NULL DEFAULT '[]',
        size INTEGER NOT NULL DEFAULT 0,
        pinned INTEGER NOT NULL DEFAULT 0,
        username TEXT NOT NULL DEFAULT '',
        annotations TEXT NOT NULL DEFAULT '{}',
        created INTEGER NOT NULL DEFAULT 0);
    )sql"},
    {2, R"sql(
      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL);
    )sql"},
};

absl::Status NotFoundRow(const char* kind, const std::string& id) {
  return absl::NotFoundError(absl::StrCat(kind, " ", id, " not found in metadata db"));
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Decodes one persisted record column; a bad row is DataLoss naming its id.
template <typename Record, typename Parse>
absl::StatusOr<Record> DecodeRecord(const char* kind, const std::string& id,
                                    const std::string& text, Parse parse) {
  absl::StatusOr<Record> r = parse(text);
  if (!r.ok()) {
    return absl::DataLossError(
        absl::StrCat(kind, " ", id, ": stored record does not parse: ", r.status().message()));
  }
  return r;
}

absl::StatusOr<ImageEntry> ImageFromRow(const Statement& st) {
  ImageEntry e;
  e.id = st.ColumnText(0);
  try {
    e.repo_tags = nlohmann::json::parse(st.ColumnText(1)).get<std::vector<std::string>>();
    e.repo_digests = nlohmann::json::parse(st.ColumnText(2)).get<std::vector<std::string>>();
    e.annotations =
        nlohmann::json::parse(st.ColumnText(6)).get<std::map<std::string, std::string>>();
  } catch (const nlohmann::json::exception& ex) {
    return absl::DataLossError(absl::StrCat("image ", e.id, ": stored JSON column: ", ex.what()));
  }
  e.size = st.ColumnInt64(3);
  e.pinned = st.ColumnInt64(4) != 0;
  e.username = st.ColumnText(5);
  e.created_ns = st.ColumnInt64(7);
  return e;
}

}  // namespace

// ---- Transaction -----------------------------------------------------------

Transaction::Transaction(Transaction&& other) noexcept
    : db_(other.db_), held_(std::exchange(other.held_, nullptr)), open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() {
  // A failed rollback leaves SQLite to roll back on the next BEGIN or close;
  // nothing uncommitted becomes durable either way.
  if (open_) (void)Exec(db_, "ROLLBACK", "rollback");
  Release();
}

// The lock passes from Begin to the Transaction, which the static analysis
// cannot follow.
void Transaction::Release() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (held_ != nullptr) std::exchange(held_, nullptr)->Unlock();
}

absl::Status Transaction::Commit() {
  SILO_FAILPOINT("store.commit");
  if (!open_) return absl::FailedPreconditionError("commit of a finished transaction");
  StepTimer timer(Timing::kStoreCommit, "commit");  // synchronous=FULL: this is the fsync
  absl::Status s = Exec(db_, "COMMIT", "commit");
  timer.Done(s.ok());
  if (!s.ok()) {
    (void)Exec(db_, "ROLLBACK", "rollback after failed commit");
  }
  open_ = false;
  Release();
  return s;
}

absl::StatusOr<Statement> Transaction::Prepare(const char* sql, absl::string_view what) {
  if (!open_) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": transaction already finished"));
  }
  return Statement::Prepare(db_, sql, what);
}

absl::Status Transaction::InsertSandbox(const model::SandboxRecord& r) {
  SILO_ASSIGN_OR_RETURN(
      Statement st,
      Prepare(
                         "INSERT INTO sandboxes (id, name, namespace, uid, attempt, state, "
                         "created_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         "insert sandbox"));
  SILO_RETURN_IF_ERROR(st.BindText(1, r.id));
  SILO_RETURN_IF_ERROR(st.BindText(2, r.metadata.name));
  SILO_RETURN_IF_ERROR(st.BindText(3, r.metadata.namespace_));
  SILO_RETURN_IF_ERROR(st.BindText(4, r.metadata.uid));
  SILO_RETURN_IF_ERROR(st.BindInt64(5, r.metadata.attempt));
  SILO_RETURN_IF_ERROR(st.BindText(6, model::SandboxStateName(r.state)));
  SILO_RETURN_IF_ERROR(st.BindInt64(7, r.created_at_ns));
  SILO_RETURN_IF_ERROR(st.BindText(8, model::SandboxToJsonString(r)));
  return Annotate(st.Run(), absl::StrCat("sandbox ", r.id));
}

absl::Status Transaction::UpdateSandbox(const model::SandboxRecord& r) {
  // Metadata columns never change after insert; only state and record do.
  SILO_ASSIGN_OR_RETURN(
      Statement st,
      Prepare("UPDATE sandboxes SET state = ?, record = ? WHERE id = ?",
                         "update sandbox"));
  SILO_RETURN_IF_ERROR(st.BindText(1, model::SandboxStateName(r.state)));
  SILO_RETURN_IF_ERROR(st.BindText(2, model::SandboxToJsonString(r)));
  SILO_RETURN_IF_ERROR(st.BindText(3, r.id));
  SILO_RETURN_IF_ERROR(Annotate(st.Run(), absl::StrCat("sandbox ", r.id)));
  if (st.Changes() == 0) return NotFoundRow("sandbox", r.id);
  return absl::OkStatus();
}

absl::Status Transaction::DeleteSandbox(const std::string& id) {
  SILO_ASSIGN_OR_RETURN(
      Statement st, Prepare("DELETE FROM sandboxes WHERE id = ?", "delete sandbox"));
  SILO_RETURN_IF_ERROR(st.BindText(1, id));
  SILO_RETURN_IF_ERROR(Annotate(st.Run(), absl::StrCat("sandbox ", id)));
  if (st.Changes() == 0) return NotFoundRow("sandbox", id);
  return absl::OkStatus();
}

absl::StatusOr<model::SandboxRecord> Transaction::GetSandbox(const std::string& id) {
  SILO_ASSIGN_OR_RETURN(
      Statement st,
      Prepare("SELECT record FROM sandboxes WHERE id = ?", "select sandbox"));
  SILO_RETURN_IF_ERROR(st.BindText(1, id));
  SILO_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundRow("sandbox", id);
  return DecodeRecord<model::SandboxRecord>(
      "sandbox", id, st.ColumnText(0),
      [](const std::string& t) { return model::SandboxFromJsonString(t); });
}

absl::StatusOr<std::vector<model::SandboxRecord>> Transaction::ListSandboxes() {
  SILO_ASSIGN_OR_RETURN(Statement st,
                        Prepare("SELECT id, record FROM sandboxes ORDER BY id",
                                           "list sandboxes"));
  std::vector<model::SandboxRecord> out;
  while (true) {
    SILO_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    SILO_ASSIGN_OR_RETURN(model::SandboxRecord r,
                          DecodeRecord<model::SandboxRecord>(
                              "sandbox", st.ColumnText(0), st.ColumnText(1),
                              [](const std::string& t) { return model::SandboxFromJsonString(t); }));
    out.push_back(std::move(r));
  }
  return out;
}

absl::Status Transaction::InsertContainer(const model::ContainerRecord& r) {
  SILO_ASSIGN_OR_RETURN(
      Statement st,
      Prepare(
                         "INSERT INTO containers (id, sandbox_id, name, attempt, state, "
                         "created_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         "insert container"));
  SILO_RETURN_IF_ERROR(st.BindText(1, r.id));
  SILO_RETURN_IF_ERROR(st.BindText(2, r.sandbox_id));
  SILO_RETURN_IF_ERROR(st.BindText(3, r.metadata.name));
  SILO_RETURN_IF_ERROR(st.BindInt64(4, r.metadata.attempt));
  SILO_RETURN_IF_ERROR(st.BindText(5, model::ContainerStateName(r.State())));
  SILO_RETURN_IF_ERROR(st.BindInt64(6, r.created_at_ns));
  SILO_RETURN_IF_ERROR(st.BindText(7, model::ContainerToJsonString(r)));
  return Annotate(st.Run(), absl::StrCat("container ", r.id, " in sandbox ", r.sandbox_id));
}

absl::Status Transaction::UpdateContainer(const model::ContainerRecord& r) {
  SILO_ASSIGN_OR_RETURN(
      Statement st,
      Prepare("UPDATE containers SET state = ?, record = ? WHERE id = ?",
                         "update container"));
  SILO_RETURN_IF_ERROR(st.BindText(1, model::ContainerStateName(r.State())));
  SILO_RETURN_IF_ERROR(st.BindText(2, model::ContainerToJsonString(r)));
  SILO_RETURN_IF_ERROR(st.BindText(3, r.id));
  SILO_RETURN_IF_ERROR(Annotate(st.Run(), absl::StrCat("container ", r.id)));
  if (st.Changes() == 0) return NotFoundRow("container", r.id);
  return absl::OkStatus();
}

absl::Status Transaction::DeleteContainer(const std::string& id) {
  SILO_ASSIGN_OR_RETURN(Statement st, Prepare("DELETE FROM containers WHERE id = ?",
                                                         "delete container"));
  SILO_RETURN_IF_ERROR(st.BindText(1, id));
  SILO_RETURN_IF_ERROR(Annotate(st.Run(), absl::StrCat("container ", id)));
  if (st.Changes() == 0) return NotFoundRow("container", id);
  return absl::OkStatus();
}

absl::StatusOr<model::ContainerRecord> Transaction::GetContainer(const std::string& id) {
  SILO_ASSIGN_OR_RETURN(
      Statement st,
      Prepare("SELECT record FROM containers WHERE id = ?", "select container"));
  SILO_RETURN_IF_ERROR(st.BindText(1, id));
  SILO_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundRow("container", id);
  return DecodeRecord<model::ContainerRecord>(
      "container", id, st.ColumnText(0),
      [](const std::string& t) { return model::ContainerFromJsonString(t); });
}

absl::StatusOr<std::vector<model::ContainerRecord>> Transaction::ListContainers() {
  SILO_ASSIGN_OR_RETURN(Statement st,
                        Prepare("SELECT id, record FROM containers ORDER BY id",
                                           "list containers"));
  std::vector<model::ContainerRecord> out;
  while (true) {
    SILO_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    SILO_ASSIGN_OR_RETURN(
        model::ContainerRecord r,
        DecodeRecord<model::ContainerRecord>(
            "container", st.ColumnText(0), st.ColumnText(1),
            [](const std::string& t) { return model::ContainerFromJsonString(t); }));
    out.push_back(std::move(r));
  }
  return out;
}

absl::Status Transaction::PutImage(const ImageEntry& e) {
  SILO_ASSIGN_OR_RETURN(
      Statement st,
      Prepare(
                         "INSERT INTO images (id, repo_tags, repo_digests, size, pinned, "
                         "username, annotations, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT(id) DO UPDATE SET repo_tags = excluded.repo_tags, "
                         "repo_digests = excluded.repo_digests, size = excluded.size, "
                         "pinned = excluded.pinned, username = excluded.username, "
                         "annotations = excluded.annotations, created = excluded.created",
                         "put image"));
  SILO_RETURN_IF_ERROR(st.BindText(1, e.id));
  SILO_RETURN_IF_ERROR(st.BindText(2, Dump(e.repo_tags)));
  SILO_RETURN_IF_ERROR(st.BindText(3, Dump(e.repo_digests)));
  SILO_RETURN_IF_ERROR(st.BindInt64(4, e.size));
  SILO_RETURN_IF_ERROR(st.BindInt64(5, e.pinned ? 1 : 0));
  SILO_RETURN_IF_ERROR(st.BindText(6, e.username));
  SILO_RETURN_IF_ERROR(st.BindText(7, Dump(e.annotations)));
  SILO_RETURN_IF_ERROR(st.BindInt64(8, e.created_ns));
  return Annotate(st.Run(), absl::StrCat("image ", e.id));
}

absl::Status Transaction::DeleteImage(const std::string& id) {
  SILO_ASSIGN_OR_RETURN(
      Statement st, Prepare("DELETE FROM images WHERE id = ?", "delete image"));
  SILO_RETURN_IF_ERROR(st.BindText(1, id));
  SILO_RETURN_IF_ERROR(Annotate(st.Run(), absl::StrCat("image ", id)));
  if (st.Changes() == 0) return NotFoundRow("image", id);
  return absl::OkStatus();
}

namespace {
constexpr const char* kImageColumns =
    "SELECT id, repo_tags, repo_digests, size, pinned, username, annotations, created FROM images";
}  // namespace

absl::StatusOr<ImageEntry> Transaction::GetImage(const std::string& id) {
  std::string sql = absl::StrCat(kImageColumns, " WHERE id = ?");
  SILO_ASSIGN_OR_RETURN(Statement st, Prepare(sql.c_str(), "select image"));
  SILO_RETURN_IF_ERROR(st.BindText(1, id));
  SILO_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundRow("image", id);
  return ImageFromRow(st);
}

absl::StatusOr<std::vector<ImageEntry>> Transaction::ListImages() {
  std::string sql = absl::StrCat(kImageColumns, " ORDER BY id");
  SILO_ASSIGN_OR_RETURN(Statement st, Prepare(sql.c_str(), "list images"));
  std::vector<ImageEntry> out;
  while (true) {
    SILO_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    SILO_ASSIGN_OR_RETURN(ImageEntry e, ImageFromRow(st));
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status Transaction::PutKv(const std::string& key, const std::string& value) {
  SILO_ASSIGN_OR_RETURN(
      Statement st,
      Prepare(
                         "INSERT INTO kv (key, value) VALUES (?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                         "put kv"));
  SILO_RETURN_IF_ERROR(st.BindText(1, key));
  SILO_RETURN_IF_ERROR(st.BindBlob(2, value));
  return Annotate(st.Run(), absl::StrCat("key ", key));
}

absl::Status Transaction::DeleteKv(const std::string& key) {
  SILO_ASSIGN_OR_RETURN(Statement st,
                        Prepare("DELETE FROM kv WHERE key = ?", "delete kv"));
  SILO_RETURN_IF_ERROR(st.BindText(1, key));
  return Annotate(st.Run(), absl::StrCat("key ", key));
}

absl::StatusOr<std::string> Transaction::GetKv(const std::string& key) {
  SILO_ASSIGN_OR_RETURN(Statement st,
                        Prepare("SELECT value FROM kv WHERE key = ?", "get kv"));
  SILO_RETURN_IF_ERROR(st.BindText(1, key));
  SILO_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundRow("key", key);
  return st.ColumnText(0);
}

absl::StatusOr<std::map<std::string, std::string>> Transaction::ListKv(const std::string& prefix) {
  // substr() rather than LIKE: keys may contain % and _.
  SILO_ASSIGN_OR_RETURN(
      Statement st,
      Prepare(
                         "SELECT key, value FROM kv WHERE substr(key, 1, length(?1)) = ?1 "
                         "ORDER BY key",
                         "list kv"));
  SILO_RETURN_IF_ERROR(st.BindText(1, prefix));
  std::map<std::string, std::string> out;
  while (true) {
    SILO_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.emplace(st.ColumnText(0), st.ColumnText(1));
  }
  return out;
}

// ---- MetadataDb ------------------------------------------------------------

absl::StatusOr<std::unique_ptr<MetadataDb>> MetadataDb::Open(const std::string& root,
                                                             const Options& options) {
  SILO_RETURN_IF_ERROR(MakeDirs(root, 0700));
  std::string path = root + "/metadata.db";
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = SqliteError(raw, rc, absl::StrCat("open ", path));
    sqlite3_close(raw);
    return s;
  }
  std::unique_ptr<MetadataDb> db(new MetadataDb(raw, path));
  SILO_RETURN_IF_ERROR(Annotate(db->Configure(options), path));
  SILO_RETURN_IF_ERROR(Annotate(db->Migrate(options.schema_version), path));
  return db;
}

MetadataDb::~MetadataDb() { sqlite3_close(db_); }

absl::Status MetadataDb::Configure(const Options& options) {
  silo::MutexLock lock(&mu_);
  sqlite3_extended_result_codes(db_, 1);
  int rc = sqlite3_busy_timeout(db_, options.busy_timeout_ms);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "busy_timeout");
  SILO_RETURN_IF_ERROR(Exec(db_, "PRAGMA foreign_keys = ON", "pragma foreign_keys"));
  SILO_RETURN_IF_ERROR(Exec(db_, "PRAGMA synchronous = FULL", "pragma synchronous"));
  // journal_mode answers with the mode it actually set; WAL can be refused
  // (e.g. on some network filesystems), which we do not accept silently.
  SILO_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(db_, "PRAGMA journal_mode = WAL", "pragma journal_mode"));
  SILO_ASSIGN_OR_RETURN(bool row, st.Step());
  std::string mode = row ? absl::AsciiStrToLower(st.ColumnText(0)) : "";
  if (mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat("sqlite refused journal_mode=WAL (got '", mode, "')"));
  }
  return absl::OkStatus();
}

absl::Status MetadataDb::Migrate(int target) {
  SILO_ASSIGN_OR_RETURN(std::string current_text, Pragma("user_version"));
  int current = std::stoi(current_text);
  if (current > kSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("schema version ", current, " is newer than this silod supports (",
                     kSchemaVersion, "); refusing to touch it"));
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= current || m.version > target) continue;
    SILO_ASSIGN_OR_RETURN(Transaction tx, Begin());
    SILO_RETURN_IF_ERROR(Exec(db_, m.sql, absl::StrCat("migration to schema ", m.version)));
    // user_version lives in the file header and commits with the schema change.
    std::string set = absl::StrCat("PRAGMA user_version = ", m.version);
    SILO_RETURN_IF_ERROR(Exec(db_, set.c_str(), "set user_version"));
    SILO_RETURN_IF_ERROR(tx.Commit());
  }
  return absl::OkStatus();
}

// The lock is handed to the Transaction, which the static analysis cannot follow.
absl::StatusOr<Transaction> MetadataDb::Begin() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  mu_.Lock();
  // IMMEDIATE takes the write lock now, so a busy database fails here rather
  // than half-way through the caller's work.
  if (absl::Status s = Exec(db_, "BEGIN IMMEDIATE", "begin transaction"); !s.ok()) {
    mu_.Unlock();
    return s;
  }
  return Transaction(db_, &mu_);
}

absl::Status MetadataDb::InTransaction(const std::function<absl::Status(Transaction&)>& fn) {
  SILO_ASSIGN_OR_RETURN(Transaction tx, Begin());
  SILO_RETURN_IF_ERROR(fn(tx));
  return tx.Commit();
}

absl::StatusOr<std::string> MetadataDb::Pragma(const std::string& name) {
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return absl::InvalidArgumentError(absl::StrCat("bad pragma name '", name, "'"));
    }
  }
  silo::MutexLock lock(&mu_);
  std::string sql = absl::StrCat("PRAGMA ", name);
  SILO_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db_, sql.c_str(), sql));
  SILO_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("pragma ", name, " returned no value"));
  return st.ColumnText(0);
}

}  // namespace silo::runtime::store
