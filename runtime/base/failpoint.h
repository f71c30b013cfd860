#pragma once
// Named fault-injection points for test builds.
//
//   absl::Status Commit(...) {
//     SILO_FAILPOINT("store.commit");
//     ...
//   }
//
// SILO_FAILPOINT may stand wherever the enclosing function returns
// absl::Status or absl::StatusOr<T>. Built without the CMake option
// SILO_FAILPOINTS it expands to a no-op statement: release binaries carry no
// lookup, no string and no branch.
//
// Built with it, points are armed only from the environment, read once when
// the first point is hit (in practice at process start):
//
//   SILO_FAILPOINTS="store.commit=error;cni.add=hang(3000)@2"
//
//   name=error       every hit returns UnavailableError("failpoint <name> ...")
//   name=hang(ms)    every hit sleeps `ms` milliseconds, then returns that error
//   ...@N            only the Nth hit (1-based, counted since process start) fires
//
//   SILO_FAILPOINT_TRACE=/path/file   appends "<name>\n" for every hit of every
//                                     point (O_APPEND, one write per line), so
//                                     a driver can learn which points a call passes.
//
// A malformed SILO_FAILPOINTS aborts the process with a message on stderr: a
// typo must not quietly run a fault walk without faults.
//
// Thread safety: Hit() may be called from any thread; hit counts are atomics
// and the armed set is immutable once read.

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/base/failpoint_config.h"  // generated: SILO_FAILPOINTS_ENABLED
#include "runtime/base/status_macros.h"

namespace silo::failpoint {

// What an armed point does when it fires.
struct Action {
  enum class Kind { kError, kHang };
  Kind kind = Kind::kError;
  int hang_ms = 0;  // kHang only
  int nth = 0;      // 0: every hit; N > 0: only the Nth
};

// Parses a SILO_FAILPOINTS value ("" arms nothing). InvalidArgument names the
// offending entry.
absl::StatusOr<std::map<std::string, Action>> ParseSpec(absl::string_view spec);

// A set of armed points plus an optional trace file. The process-wide one is
// built from the environment (Global()); tests build their own.
class Registry {
 public:
  // `trace_path` empty: no trace. The trace file is opened (created, appended
  // to) here; if it cannot be, hits are not traced and a warning is logged.
  Registry(std::map<std::string, Action> armed, std::string trace_path);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // OK unless `name` is armed and fires on this hit.
  absl::Status Hit(absl::string_view name);

  // Hits of armed point `name` so far (0 for points not armed).
  int Hits(absl::string_view name) const;

 private:
  struct Point {
    Action action;
    std::atomic<int> hits{0};
  };
  std::map<std::string, std::unique_ptr<Point>, std::less<>> armed_;
  std::FILE* trace_ = nullptr;
};

// The process-wide registry, built from SILO_FAILPOINTS and
// SILO_FAILPOINT_TRACE on first use; never destroyed.
Registry& Global();

// What SILO_FAILPOINT calls.
inline absl::Status Hit(absl::string_view name) { return Global().Hit(name); }

}  // namespace silo::failpoint

#if SILO_FAILPOINTS_ENABLED
#define SILO_FAILPOINT(name) SILO_RETURN_IF_ERROR(::silo::failpoint::Hit(name))
#else
#define SILO_FAILPOINT(name) static_cast<void>(0)
#endif
