#include "runtime/container/image_user.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "image/layers/overlay_file.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::container {
namespace {

constexpr int64_t kMaxDbFile = 4 << 20;

// Splits a colon-separated line; nullopt for comments, NIS and blank lines.
std::optional<std::vector<std::string>> Fields(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') return std::nullopt;
  return absl::StrSplit(line, ':');
}

// The content of etc/<name> as overlayfs would show it over `layer_dirs`;
// "" when absent.
absl::StatusOr<std::string> ReadImageEtcFile(const std::vector<std::string>& layer_dirs, const char* name) {
  return image::layers::ReadOverlayFile(layer_dirs, "etc", name, kMaxDbFile);
}

absl::Status UnknownUser(absl::string_view what, absl::string_view name) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " \"", name, "\" is not in the image's /etc/", what == "group" ? "group" : "passwd"));
}

void AddGid(std::vector<uint32_t>& gids, uint32_t gid) {
  if (std::find(gids.begin(), gids.end(), gid) == gids.end()) gids.push_back(gid);
}

}  // namespace

const PasswdEntry* UserDb::UserByName(absl::string_view name) const {
  for (const auto& u : users) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

const PasswdEntry* UserDb::UserById(uint32_t uid) const {
  for (const auto& u : users) {
    if (u.uid == uid) return &u;
  }
  return nullptr;
}

const GroupEntry* UserDb::GroupByName(absl::string_view name) const {
  for (const auto& g : groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

std::vector<PasswdEntry> ParsePasswd(absl::string_view text) {
  std::vector<PasswdEntry> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    auto f = Fields(line);
    if (!f || f->size() < 4 || (*f)[0].empty()) continue;
    PasswdEntry e;
    e.name = (*f)[0];
    if (!absl::SimpleAtoi((*f)[2], &e.uid) || !absl::SimpleAtoi((*f)[3], &e.gid)) continue;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(absl::string_view text) {
  std::vector<GroupEntry> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    auto f = Fields(line);
    if (!f || f->size() < 3 || (*f)[0].empty()) continue;
    GroupEntry e;
    e.name = (*f)[0];
    if (!absl::SimpleAtoi((*f)[2], &e.gid)) continue;
    if (f->size() >= 4) {
      for (absl::string_view m : absl::StrSplit((*f)[3], ',', absl::SkipWhitespace())) {
        e.members.emplace_back(absl::StripAsciiWhitespace(m));
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<UserDb> LoadUserDb(const std::vector<std::string>& layer_dirs) {
  UserDb db;
  SILO_ASSIGN_OR_RETURN(std::string passwd, ReadImageEtcFile(layer_dirs, "passwd"));
  SILO_ASSIGN_OR_RETURN(std::string group, ReadImageEtcFile(layer_dirs, "group"));
  db.users = ParsePasswd(passwd);
  db.groups = ParseGroup(group);
  return db;
}

absl::StatusOr<NumericUser> ResolveUser(const ::runtime::v1::ContainerConfig& config, const ImageConfig& image,
                                        const UserDb& db) {
  const auto& sc = config.linux().security_context();
  // As the CRI defines it (and containerd checks): a group only with a user.
  if (sc.has_run_as_group() && !sc.has_run_as_user() && sc.run_as_username().empty()) {
    return absl::InvalidArgumentError("run_as_group is set without run_as_user or run_as_username");
  }
  NumericUser user;
  std::string name;  // for supplementary groups; "" when unknown

  auto set_user = [&](absl::string_view text) -> absl::Status {
    if (absl::SimpleAtoi(text, &user.uid)) {
      if (const PasswdEntry* e = db.UserById(user.uid)) {
        name = e->name;
        user.gid = e->gid;
      }
      return absl::OkStatus();
    }
    const PasswdEntry* e = db.UserByName(text);
    if (e == nullptr) return UnknownUser("user", text);
    name = e->name;
    user.uid = e->uid;
    user.gid = e->gid;
    return absl::OkStatus();
  };

  if (sc.has_run_as_user()) {
    if (sc.run_as_user().value() < 0) return absl::InvalidArgumentError("run_as_user must not be negative");
    SILO_RETURN_IF_ERROR(set_user(absl::StrCat(sc.run_as_user().value())));
  } else if (!sc.run_as_username().empty()) {
    const PasswdEntry* e = db.UserByName(sc.run_as_username());
    if (e == nullptr) return Annotate(UnknownUser("user", sc.run_as_username()), "run_as_username");
    name = e->name;
    user.uid = e->uid;
    user.gid = e->gid;
  } else if (!image.user.empty()) {
    std::vector<std::string> parts = absl::StrSplit(image.user, absl::MaxSplits(':', 1));
    if (parts[0].empty()) return absl::InvalidArgumentError(absl::StrCat("image user \"", image.user, "\" has no user"));
    SILO_RETURN_IF_ERROR(Annotate(set_user(parts[0]), "image User"));
    if (parts.size() == 2) {
      if (!absl::SimpleAtoi(parts[1], &user.gid)) {
        const GroupEntry* g = db.GroupByName(parts[1]);
        if (g == nullptr) return Annotate(UnknownUser("group", parts[1]), "image User");
        user.gid = g->gid;
      }
    }
  } else if (const PasswdEntry* root = db.UserById(0)) {
    name = root->name;
    user.gid = root->gid;
  }
  if (sc.has_run_as_group()) {
    if (sc.run_as_group().value() < 0) return absl::InvalidArgumentError("run_as_group must not be negative");
    user.gid = static_cast<uint32_t>(sc.run_as_group().value());
  }

  AddGid(user.additional_gids, user.gid);
  if (!name.empty()) {
    for (const GroupEntry& g : db.groups) {
      if (std::find(g.members.begin(), g.members.end(), name) != g.members.end()) AddGid(user.additional_gids, g.gid);
    }
  }
  return user;
}

std::string WindowsUsername(const ::runtime::v1::ContainerConfig& config, const ImageConfig& image) {
  const std::string& requested = config.windows().security_context().run_as_username();
  return requested.empty() ? image.user : requested;
}

absl::Status SetSpecUser(const ::runtime::v1::ContainerConfig& config, const ImageConfig& image,
                         CreateSpec* spec) {
  if (image.IsWindows()) {
    spec->username = WindowsUsername(config, image);
    return absl::OkStatus();
  }
  SILO_ASSIGN_OR_RETURN(UserDb users, LoadUserDb(spec->layer_dirs));
  SILO_ASSIGN_OR_RETURN(spec->user, ResolveUser(config, image, users));
  return absl::OkStatus();
}

}  // namespace silo::runtime::container
