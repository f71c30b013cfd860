#pragma once
// The metadata database: <root>/metadata.db, SQLite in WAL mode with
// synchronous=FULL, so a committed transaction survives a crash or power loss
// and readers never see a torn record.
//
// Schema (versioned by PRAGMA user_version, migrated forward on Open):
//   sandboxes(id PK, name, namespace, uid, attempt, state, created_at, record JSON)
//   containers(id PK, sandbox_id FK -> sandboxes, name, attempt, state, created_at, record JSON)
//   images(id PK, repo_tags JSON, repo_digests JSON, size, pinned, username,
//          annotations JSON, created)
//   kv(key PK, value BLOB)
// The record column is authoritative; the other columns exist for indexes
// and for a human with the sqlite3 shell.
//
// A sandbox cannot be deleted while a container row references it
// (FailedPrecondition): containers are removed first, so memory indexes never
// lose rows behind their back.
//
// Thread safety: one connection guarded by one mutex. A Transaction holds that
// mutex from Begin() until it commits or is destroyed, so transactions from
// different threads run one after another. Never open a second Transaction
// on a thread that already holds one: it would wait for itself.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/base/mutex.h"
#include "runtime/model/container.h"
#include "runtime/model/sandbox.h"

struct sqlite3;

namespace silo::runtime::store {
class Statement;
}

namespace silo::runtime::store {

// Newest schema this build knows.
inline constexpr int kSchemaVersion = 2;

// One image as the image service persists it.
struct ImageEntry {
  std::string id;  // config digest
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  int64_t size = 0;
  bool pinned = false;
  std::string username;
  std::map<std::string, std::string> annotations;
  int64_t created_ns = 0;

  friend bool operator==(const ImageEntry&, const ImageEntry&) = default;
};

class MetadataDb;

// One SQLite transaction (BEGIN IMMEDIATE). Rolls back on destruction unless
// Commit() succeeded. Movable, not copyable; used by one thread.
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // Sandboxes. Insert: AlreadyExists for a known id. Update: NotFound for an
  // unknown id. Delete: NotFound for an unknown id, FailedPrecondition while
  // containers reference it.
  absl::Status InsertSandbox(const model::SandboxRecord& record);
  absl::Status UpdateSandbox(const model::SandboxRecord& record);
  absl::Status DeleteSandbox(const std::string& id);
  absl::StatusOr<model::SandboxRecord> GetSandbox(const std::string& id);
  absl::StatusOr<std::vector<model::SandboxRecord>> ListSandboxes();

  // Containers; Insert is FailedPrecondition if the sandbox row is missing.
  absl::Status InsertContainer(const model::ContainerRecord& record);
  absl::Status UpdateContainer(const model::ContainerRecord& record);
  absl::Status DeleteContainer(const std::string& id);
  absl::StatusOr<model::ContainerRecord> GetContainer(const std::string& id);
  absl::StatusOr<std::vector<model::ContainerRecord>> ListContainers();

  // Images: Put inserts or replaces.
  absl::Status PutImage(const ImageEntry& image);
  absl::Status DeleteImage(const std::string& id);
  absl::StatusOr<ImageEntry> GetImage(const std::string& id);
  absl::StatusOr<std::vector<ImageEntry>> ListImages();

  // Generic key/value pairs; List returns keys starting with `prefix`.
  absl::Status PutKv(const std::string& key, const std::string& value);
  absl::Status DeleteKv(const std::string& key);  // OK if absent
  absl::StatusOr<std::string> GetKv(const std::string& key);
  absl::StatusOr<std::map<std::string, std::string>> ListKv(const std::string& prefix);

  // Commits and frees the connection for other transactions. After Commit
  // (failed or not) every method returns FailedPrecondition; a failed
  // commit has been rolled back.
  absl::Status Commit();

 private:
  friend class MetadataDb;
  // Takes over `held`, locked by MetadataDb::Begin.
  Transaction(sqlite3* db, silo::Mutex* held) : db_(db), held_(held) {}
  absl::StatusOr<Statement> Prepare(const char* sql, absl::string_view what);
  // Frees the connection for the next transaction (once).
  void Release();

  sqlite3* db_;
  silo::Mutex* held_;  // the connection's lock, until Release
  bool open_ = true;
};

class MetadataDb {
 public:
  struct Options {
    // How long a statement waits for another process's lock (e.g. an
    // operator's sqlite3 shell) before failing with Unavailable.
    int busy_timeout_ms = 5000;
    // Migrate only up to this version. Tests of migration only.
    int schema_version = kSchemaVersion;
  };

  // Opens or creates <root>/metadata.db (creating root 0700) and migrates the
  // schema. FailedPrecondition if the file's schema is newer than this build.
  static absl::StatusOr<std::unique_ptr<MetadataDb>> Open(const std::string& root,
                                                          const Options& options);
  static absl::StatusOr<std::unique_ptr<MetadataDb>> Open(const std::string& root) {
    return Open(root, Options());
  }

  MetadataDb(const MetadataDb&) = delete;
  MetadataDb& operator=(const MetadataDb&) = delete;
  ~MetadataDb();

  // Blocks until no other transaction is open.
  absl::StatusOr<Transaction> Begin();

  // Begin, fn, Commit; rolls back if fn or the commit fails.
  absl::Status InTransaction(const std::function<absl::Status(Transaction&)>& fn);

  // The value of a read-only PRAGMA on this connection (e.g. "journal_mode",
  // "synchronous", "foreign_keys", "user_version"), for diagnostics and tests.
  absl::StatusOr<std::string> Pragma(const std::string& name);

  const std::string& path() const { return path_; }

 private:
  MetadataDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  absl::Status Configure(const Options& options);
  absl::Status Migrate(int target);

  silo::Mutex mu_;
  sqlite3* const db_;  // used under mu_ (held through Transaction)
  const std::string path_;
};

}  // namespace silo::runtime::store
