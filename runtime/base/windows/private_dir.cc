#include "runtime/base/windows/private_dir.h"

#include <algorithm>
#include <cctype>

namespace silo::win32 {
namespace {

constexpr uint32_t kEInvalidArg = 0x80070057;
constexpr uint32_t kErrorAlreadyExists = 183;
constexpr uint32_t kErrorDirectory = 267;          // "The directory name is invalid"
constexpr uint32_t kErrorInvalidOwner = 1307;
constexpr uint32_t kErrorReparsePoint = 4395;      // ERROR_REPARSE_POINT_ENCOUNTERED

HrStatus Win32Error(uint32_t err, const std::string& message) {
  return HrStatus((err & 0xFFFFu) | 0x80070000u, message + " (Win32 error " + std::to_string(err) + ")");
}

bool SilodMayOwn(const std::string& sid, const std::string& me) {
  return sid == kAdministratorsSidText || sid == kLocalSystemSidText || (!me.empty() && sid == me);
}

bool TrustedParentOwner(const std::string& sid, const std::string& me) {
  return SilodMayOwn(sid, me) || sid == kTrustedInstallerSidText;
}

// Case-insensitive prefix by whole folders, as NTFS compares names.
bool SameFolder(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Result<std::vector<std::string>> FolderLevels(const std::string& path) {
  std::string p = path;
  std::replace(p.begin(), p.end(), '/', '\\');
  if (p.rfind("\\\\?\\", 0) == 0) p = p.substr(4);
  if (p.size() < 3 || !std::isalpha(static_cast<unsigned char>(p[0])) || p[1] != ':' || p[2] != '\\') {
    return HrStatus(kEInvalidArg, "\"" + path + "\" is not a full path on a local drive (C:\\...)");
  }
  std::vector<std::string> levels;
  std::string current = p.substr(0, 2);
  size_t i = 3;
  while (i <= p.size()) {
    const size_t end = std::min(p.find('\\', i), p.size());
    const std::string name = p.substr(i, end - i);
    i = end + 1;
    if (name.empty()) continue;
    if (name == "." || name == "..") return HrStatus(kEInvalidArg, "\"" + path + "\" contains . or ..");
    current += "\\" + name;
    levels.push_back(current);
  }
  if (levels.empty()) return HrStatus(kEInvalidArg, "\"" + path + "\" is a volume root, not a folder of silod's");
  return levels;
}

namespace {

// Resets everything below `dir` to what it inherits from it, folder by
// folder (iteratively: a deep tree must not exhaust the stack).
HrStatus ResetTree(PrivateDirOs& os, const std::string& dir, const std::string& what) {
  std::vector<std::string> pending{dir};
  while (!pending.empty()) {
    const std::string folder = std::move(pending.back());
    pending.pop_back();
    std::vector<std::string> names;
    if (uint32_t err = os.ListChildren(folder, &names); err != 0) {
      return Win32Error(err, what + ": cannot list " + folder + " to restrict what is in it");
    }
    for (const std::string& name : names) {
      const std::string child = folder + "\\" + name;
      bool descend = false;
      const uint32_t err = os.ResetToInherited(child, &descend);
      if (err == 2 || err == 3) continue;  // ERROR_FILE/PATH_NOT_FOUND: removed meanwhile
      if (err == kErrorHardLinked) {
        return Win32Error(err, what + ": " + child + " is a file with another name (a hard link) that may lie "
                                   "outside silod's folders; silod will not change its security (remove it)");
      }
      if (err == kErrorReparsePoint) {
        return Win32Error(err, what + ": " + child + " is no longer where the walk found it (a folder on the way "
                                   "became a junction or link); remove what someone else put in " + dir);
      }
      if (err != 0) return Win32Error(err, what + ": cannot restrict " + child + " to Administrators and SYSTEM");
      if (descend) pending.push_back(child);
    }
  }
  return HrStatus::Ok();
}

// SecurePrivateDir, skipping the folders already in `done` (made or secured
// earlier in the same pass) and adding those it makes or secures.
HrStatus SecureLevels(PrivateDirOs& os, const std::string& path, const std::string& owned_from,
                      const std::string& what, std::vector<std::string>* done) {
  Result<std::vector<std::string>> levels = FolderLevels(path);
  if (!levels.ok()) return HrStatus(levels.status().hr(), what + ": " + levels.status().message());
  Result<std::vector<std::string>> owned_levels = FolderLevels(owned_from);
  if (!owned_levels.ok()) return HrStatus(owned_levels.status().hr(), what + ": " + owned_levels.status().message());
  const std::string& top = owned_levels->back();
  size_t first_owned = levels->size();
  for (size_t i = 0; i < levels->size(); ++i) {
    if (SameFolder((*levels)[i], top)) first_owned = i;
  }
  if (first_owned == levels->size()) {
    return HrStatus(kEInvalidArg, what + ": " + owned_from + " is not " + path + " or one of its parents");
  }
  const std::string me = os.ProcessUserSid();
  for (size_t i = 0; i < levels->size(); ++i) {
    const std::string& level = (*levels)[i];
    const bool silods = i >= first_owned;
    if (std::any_of(done->begin(), done->end(), [&](const std::string& d) { return SameFolder(d, level); })) continue;
    DirFacts facts;
    if (uint32_t err = os.Inspect(level, &facts); err != 0) return Win32Error(err, what + ": cannot inspect " + level);
    if (!facts.exists) {
      const uint32_t err = os.CreateSecured(level);
      if (err == 0) {
        done->push_back(level);  // born with silod's owner and DACL
        continue;
      }
      if (err != kErrorAlreadyExists) return Win32Error(err, what + ": cannot create " + level);
      // Someone made it between the look and the create: judge what is there.
      if (uint32_t again = os.Inspect(level, &facts); again != 0) {
        return Win32Error(again, what + ": cannot inspect " + level);
      }
      if (!facts.exists) return Win32Error(err, what + ": " + level + " appeared and vanished");
    }
    if (!facts.directory) return Win32Error(kErrorDirectory, what + ": " + level + " exists and is not a folder");
    if (!silods) {
      if (!TrustedParentOwner(facts.owner_sid, me)) {
        return Win32Error(kErrorInvalidOwner, what + ": parent folder " + level + " is owned by " + facts.owner_sid +
                                                  ", not by Administrators, SYSTEM, TrustedInstaller or silod's user; whoever "
                                                  "owns it can replace silod's folders");
      }
      continue;
    }
    if (facts.reparse_point) {
      return Win32Error(kErrorReparsePoint, what + ": " + level +
                                                " is a junction or symbolic link; silod's folders must be real "
                                                "folders (remove it and let silod create it)");
    }
    if (!SilodMayOwn(facts.owner_sid, me)) {
      return Win32Error(kErrorInvalidOwner, what + ": " + level + " exists and is owned by " + facts.owner_sid +
                                                ", not by Administrators, SYSTEM or silod's user; refusing a folder someone else "
                                                "made (remove it and let silod create it)");
    }
    if (uint32_t err = os.Resecure(level); err != 0) {
      return Win32Error(err, what + ": cannot restrict " + level + " to Administrators and SYSTEM");
    }
    // Made by someone else (an installer, an older silod): what it holds
    // may carry its own entries, which the folder's DACL does not replace.
    if (!facts.private_dacl) {
      if (HrStatus s = ResetTree(os, level, what); !s.ok()) return s;
    }
    done->push_back(level);
  }
  return HrStatus::Ok();
}

}  // namespace

HrStatus SecurePrivateDir(PrivateDirOs& os, const std::string& path, const std::string& owned_from,
                          const std::string& what) {
  std::vector<std::string> done;
  return SecureLevels(os, path, owned_from, what, &done);
}

std::string SharedDataDir(const std::vector<std::string>& dirs) {
  std::vector<std::string> common;
  bool first = true;
  for (const std::string& dir : dirs) {
    if (dir.empty()) continue;
    Result<std::vector<std::string>> levels = FolderLevels(dir);
    if (!levels.ok()) return "";
    if (first) {
      common = *levels;
      first = false;
      continue;
    }
    size_t n = 0;
    while (n < common.size() && n < levels->size() && SameFolder(common[n], (*levels)[n])) ++n;
    common.resize(n);
  }
  // Each dir's own level is not a shared parent of the others unless it is
  // one of them (root = data folder is fine); two levels keep C:\ProgramData out.
  if (common.size() < 2) return "";
  return common.back();
}

HrStatus SecureSiloFolders(PrivateDirOs& os, const std::string& root, const std::string& state,
                           const std::string& log_dir) {
  const std::string data = SharedDataDir({root, state, log_dir});
  std::vector<std::string> done;
  if (!data.empty()) {
    if (HrStatus s = SecureLevels(os, data, data, "data dir", &done); !s.ok()) return s;
  }
  const std::pair<const std::string*, const char*> dirs[] = {{&root, "root dir"}, {&state, "state dir"},
                                                             {&log_dir, "log dir"}};
  for (const auto& [dir, what] : dirs) {
    if (dir->empty()) continue;
    if (HrStatus s = SecureLevels(os, *dir, data.empty() ? *dir : data, what, &done); !s.ok()) return s;
  }
  return HrStatus::Ok();
}

}  // namespace silo::win32
