#pragma once
// Pinned Linux namespaces for pod sandboxes: a pod's network, IPC and UTS
// namespaces live without any process in them because each is bind-mounted
// onto a file (as `ip netns add` does). No pause container is needed.
//
// Layout: <dir>/<name>/net, <dir>/<name>/ipc, <dir>/<name>/uts (only the
// kinds asked for). <dir>/<name>/net is the path handed to CNI and runc.
//
// Contract: CreatePinned makes brand-new namespaces (never the caller's),
// sets the hostname in a new UTS namespace and brings `lo` up in a new network
// namespace. On failure it removes whatever it had pinned. RemovePinned and
// RemovePinnedFile are idempotent: a missing file or mount is success.
// Thread safety: every function is thread-safe (the namespaces are entered by
// a short-lived helper thread; the calling thread's namespaces never change).
// Requires CAP_SYS_ADMIN.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace silo::network::netns {

struct PinRequest {
  bool net = true;
  bool ipc = true;
  bool uts = true;
  std::string hostname;  // set in the new UTS namespace when uts and non-empty
};

struct PinnedPaths {
  std::string net;  // empty when not requested
  std::string ipc;
  std::string uts;
};

// InvalidArgument for a name that is empty or could escape `dir`;
// AlreadyExists if <dir>/<name> already exists.
absl::StatusOr<PinnedPaths> CreatePinned(const std::string& dir, const std::string& name,
                                         const PinRequest& request);

// Unmounts (MNT_DETACH) and unlinks one pinned file. OK if it is gone.
absl::Status RemovePinnedFile(const std::string& path);

// Removes every pinned file of <dir>/<name> and the directory. OK if gone.
absl::Status RemovePinned(const std::string& dir, const std::string& name);

// Names pinned under `dir` (for recovery); empty when `dir` does not exist.
absl::StatusOr<std::vector<std::string>> ListPinned(const std::string& dir);

// The paths CreatePinned uses for `name` (whether or not they exist).
PinnedPaths PathsFor(const std::string& dir, const std::string& name);

// True when `path` is a mount point of a namespace file (nsfs): a pinned
// namespace that is still alive.
bool IsPinned(const std::string& path);

}  // namespace silo::network::netns
