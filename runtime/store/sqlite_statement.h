#pragma once
// A thin RAII layer over the SQLite C API for metadata_db.cc. Every error is a
// Status naming the statement and carrying sqlite3_errmsg.
//
// Not thread-safe: used only while MetadataDb's connection lock is held.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace silo::runtime::store {

// Maps an SQLite result code to a Status: BUSY/LOCKED -> Unavailable,
// UNIQUE/PRIMARY KEY -> AlreadyExists, any other constraint (foreign key,
// RESTRICT, trigger, NOT NULL) -> FailedPrecondition,
// READONLY -> FailedPrecondition, FULL -> ResourceExhausted,
// CORRUPT/NOTADB -> DataLoss, anything else -> Internal.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what);

// Runs SQL with no results (may hold several statements).
absl::Status Exec(sqlite3* db, const char* sql, absl::string_view what);

class Statement {
 public:
  // `what` names the statement in errors, e.g. "insert sandbox".
  static absl::StatusOr<Statement> Prepare(sqlite3* db, const char* sql, absl::string_view what);

  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite. Text and blobs are copied.
  absl::Status BindText(int index, absl::string_view value);
  absl::Status BindBlob(int index, absl::string_view value);
  absl::Status BindInt64(int index, int64_t value);

  // true: a row is available; false: done.
  absl::StatusOr<bool> Step();
  // Steps to completion, expecting no rows.
  absl::Status Run();
  // sqlite3_changes() after Run().
  int Changes() const;

  std::string ColumnText(int index) const;  // 0-based
  int64_t ColumnInt64(int index) const;

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string what)
      : db_(db), stmt_(stmt), what_(std::move(what)) {}

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string what_;
};

}  // namespace silo::runtime::store
