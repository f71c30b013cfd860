#pragma once
// Build identity, set by CMake at compile time of version.cc only, so a
// commit change recompiles one file.

namespace silo {

const char* Version();    // project version, e.g. "0.1.0"
const char* GitCommit();  // short commit hash, or "unknown"

}  // namespace silo
