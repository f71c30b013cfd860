#pragma once
// Status helpers shared by every module. absl::Status codes equal gRPC's, so
// the single conversion in cri/grpc is a cast, never a mapping table.

#include "absl/strings/string_view.h"
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace silo {

// Prefixes the message with context while keeping the code, so callers up the
// stack can still branch on IsNotFound() and friends.
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

}  // namespace silo

#define SILO_STATUS_CONCAT_INNER_(a, b) a##b
#define SILO_STATUS_CONCAT_(a, b) SILO_STATUS_CONCAT_INNER_(a, b)

#define SILO_RETURN_IF_ERROR(expr)                       \
  do {                                                   \
    ::absl::Status silo_status_ = (expr);                \
    if (!silo_status_.ok()) return silo_status_;         \
  } while (0)

#define SILO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

// SILO_ASSIGN_OR_RETURN(auto x, Foo()); declares x from a StatusOr or returns its error.
#define SILO_ASSIGN_OR_RETURN(lhs, expr) \
  SILO_ASSIGN_OR_RETURN_IMPL_(SILO_STATUS_CONCAT_(silo_statusor_, __LINE__), lhs, expr)
