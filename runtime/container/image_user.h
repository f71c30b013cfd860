#pragma once
// The user a container's process runs as, resolved the way containerd does
// from the CRI security context and the image's User, with names looked up
// in the image's own /etc/passwd and /etc/group (never the host's).
//
// Precedence: run_as_user, else run_as_username, else the image's User
// ("", "uid", "name", "uid:gid", "name:group", "uid:group", "name:gid");
// run_as_group, when set, replaces the gid. The primary gid is the passwd
// entry's when no group is given (0 without an entry). Supplementary gids:
// the primary gid, then every /etc/group entry listing the user's name as a
// member (found by uid when the user was numeric), without duplicates.
//
// Pure apart from LoadUserDb's reads; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cri/api/cri.h"
#include "runtime/container/container_host.h"
#include "runtime/container/image_config.h"

namespace silo::runtime::container {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

struct UserDb {
  std::vector<PasswdEntry> users;
  std::vector<GroupEntry> groups;

  const PasswdEntry* UserByName(absl::string_view name) const;
  const PasswdEntry* UserById(uint32_t uid) const;
  const GroupEntry* GroupByName(absl::string_view name) const;
};

// Lines "name:x:uid:gid:..." / "name:x:gid:member,member". Comments, blank
// lines, NIS "+"/"-" lines and malformed lines are skipped, never fatal.
std::vector<PasswdEntry> ParsePasswd(absl::string_view text);
std::vector<GroupEntry> ParseGroup(absl::string_view text);

// Reads etc/passwd and etc/group from the image's unpacked layers (bottom
// first, as CreateSpec::layer_dirs), the topmost layer holding the file
// winning. A whiteout (0/0 character device), a non-regular file or an
// opaque etc/ above ends the search: the file is absent, an empty list.
// Files over 4 MiB are refused (InvalidArgument).
absl::StatusOr<UserDb> LoadUserDb(const std::vector<std::string>& layer_dirs);

// InvalidArgument naming the user or group when a name is not in `db`.
absl::StatusOr<NumericUser> ResolveUser(const ::runtime::v1::ContainerConfig& config, const ImageConfig& image,
                                        const UserDb& db);

// The account a Windows image's process runs as: the CRI's
// windows.security_context.run_as_username, else the image's User, else ""
// (the image's default). The name is passed through: only Windows inside the
// container can resolve it, when the process starts (as containerd does).
std::string WindowsUsername(const ::runtime::v1::ContainerConfig& config, const ImageConfig& image);

// Sets spec->user (Linux images, via ResolveUser over LoadUserDb(spec->layer_dirs))
// or spec->username (Windows images, via WindowsUsername; no /etc/passwd is read).
absl::Status SetSpecUser(const ::runtime::v1::ContainerConfig& config, const ImageConfig& image,
                         CreateSpec* spec);

}  // namespace silo::runtime::container
