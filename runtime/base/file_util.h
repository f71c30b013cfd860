#pragma once
// File helpers with errno in every error message.

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace silo {

// Reads a whole file. NotFound if it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes via a temporary file in the same directory, fsyncs it, renames it over
// `path` and fsyncs the directory, so readers see the old or the new content,
// never a torn file, even across a crash.
absl::Status AtomicWriteFile(const std::string& path, absl::string_view content, int mode = 0644);

// mkdir -p with the given mode for created directories.
absl::Status MakeDirs(const std::string& path, int mode = 0755);

// Converts errno into a Status whose code matches the error's meaning.
absl::Status ErrnoToStatus(int err, absl::string_view context);

}  // namespace silo
