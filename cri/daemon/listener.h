#pragma once
// Preparing and securing the CRI endpoint. One implementation per platform
// (listener_linux.cc, listener_win32.cc). On Windows the endpoint is the
// named-pipe front door (front_door.h), so only the directory checks exist there.

#include <string>

#include "absl/status/statusor.h"

namespace silo::cri {

// Turns a config endpoint into a gRPC listening address, making its directory
// and removing a stale socket left by a dead daemon. FailedPrecondition if a
// live server answers there: two daemons must never share an endpoint.
absl::StatusOr<std::string> PrepareListenEndpoint(const std::string& endpoint);

// After the server has bound: restrict the endpoint (unix socket 0660, root).
absl::Status SecureListenEndpoint(const std::string& endpoint);

// Removes the endpoint's socket file at shutdown (no-op for TCP).
void RemoveListenEndpoint(const std::string& endpoint);

// Refuses a root, state or socket directory that other users may write to
// (world-writable, or group-writable and not root's group): anyone who can
// replace a file there can swap the metadata database, a pinned namespace or
// the CRI socket. `what` names the directory in the error.
absl::Status CheckPrivateDir(const std::string& dir, const std::string& what);

// Makes silod's folders before anything is written into them: `root`,
// `state` and, on Windows, the folder of `log_file` (none when it is empty)
// and the data folder they share. Linux: 0711 and CheckPrivateDir's checks.
// Windows: each created already carrying an Administrators-owned,
// SYSTEM/Administrators-only descriptor, and junctions or folders someone
// else owns refused (runtime/base/windows/private_dir.h). Call it before
// logging opens its file.
absl::Status PreparePrivateDirs(const std::string& root, const std::string& state, const std::string& log_file);

// Takes an exclusive lock on `root` so a second daemon cannot share the same
// metadata database; held until the process exits.
absl::Status LockRootDir(const std::string& root);

}  // namespace silo::cri
