#pragma once
// Silod's private folders on Windows (root, state, logs and the data folder
// that holds them, C:\ProgramData\silo by default): created already carrying
// their security, never adopted from someone else.
//
// A folder silod makes is created by CreateDirectoryW with a descriptor that
// names Administrators as owner and a protected DACL granting only
// Administrators and SYSTEM (inherited below), so there is no moment in which
// it has the parent's entries (C:\ProgramData lets Users create files and
// folders). A folder of silod's that exists already is refused when it is a
// reparse point (a junction or symlink would point silod's writes elsewhere)
// or when its owner is neither Administrators, SYSTEM nor the user silod runs
// as (another user made it first and can rewrite its ACL); otherwise it is
// given the owner and DACL again through a handle to the folder itself.
// When it did not carry them already, everything below it made before is
// reset too: owner Administrators and only the entries it inherits from the
// folder, its own (explicit) entries removed, so a file someone could read
// or change before stays no more open than the folder; a junction or
// symlink below is reset itself but never followed.
// Folders above the data folder that exist are not silod's and are left as
// they are, but each must be owned by one of those or TrustedInstaller:
// whoever owns a parent can rename a child away and put another in its place.
//
// The file-system calls go through PrivateDirOs (private_dir_win32.h on
// Windows, a fake in the Linux tests), so the rules above are tested on Linux.
// Paths are UTF-8 with "\" or "/" separators and a drive letter. Standard
// library only; stateless and thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/base/windows/result.h"

namespace silo::win32 {

inline constexpr char kAdministratorsSidText[] = "S-1-5-32-544";
inline constexpr char kLocalSystemSidText[] = "S-1-5-18";
inline constexpr char kTrustedInstallerSidText[] = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";
// Owner Administrators; Administrators and SYSTEM full control, inherited by
// files and folders below; no entry inherited from the parent.
// ERROR_TOO_MANY_LINKS: a file with more than one name.
inline constexpr uint32_t kErrorHardLinked = 1142;

inline constexpr wchar_t kPrivateDirSddl[] = L"O:BAG:BAD:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)";

struct DirFacts {
  bool exists = false;
  bool directory = false;
  bool reparse_point = false;  // of the path itself, never followed
  std::string owner_sid;       // "S-1-5-32-544"
  // Its DACL is already kPrivateDirSddl's (protected; Administrators and
  // SYSTEM only, inherited below) and its owner one of those two: nothing
  // below it can have entries that are not inherited from these, unless an
  // administrator put them there.
  bool private_dacl = false;
};

class PrivateDirOs {
 public:
  virtual ~PrivateDirOs() = default;
  // What `path` itself is (a reparse point is not followed). 0 with
  // exists=false when nothing is there; a Win32 error when it cannot be read.
  virtual uint32_t Inspect(const std::string& path, DirFacts* facts) = 0;
  // CreateDirectoryW(path) with kPrivateDirSddl: 0, ERROR_ALREADY_EXISTS
  // (someone was first) or another Win32 error.
  virtual uint32_t CreateSecured(const std::string& path) = 0;
  // Opens `path` itself, refuses it when it is a reparse point or not a
  // folder, then sets kPrivateDirSddl's owner and protected DACL through that
  // handle (so a swap after Inspect cannot redirect it). 0 or a Win32 error.
  virtual uint32_t Resecure(const std::string& path) = 0;
  // The names of the entries in folder `path` ("." and ".." left out), not
  // following `path` if it is a reparse point. 0 or a Win32 error.
  virtual uint32_t ListChildren(const std::string& path, std::vector<std::string>* names) = 0;
  // Opens `path` itself (a reparse point is not followed) and sets, through
  // that handle, owner Administrators and a DACL holding only what a child
  // inherits from kPrivateDirSddl (its explicit entries removed, not
  // protected). `descend` says whether it is a real folder (through the same
  // handle): a reparse point is never walked into. 0 or a Win32 error;
  // kErrorHardLinked for a file that has other names (they may lie outside
  // silod's folders) and ERROR_REPARSE_POINT_ENCOUNTERED when the handle is
  // not `path` itself (a folder on the way became a junction): neither is
  // touched.
  virtual uint32_t ResetToInherited(const std::string& path, bool* descend) = 0;
  // The user silod runs as (its token's): whatever that user owns, silod
  // could change anyway.
  virtual std::string ProcessUserSid() = 0;
};

// "C:\a\b" -> {"C:\a", "C:\a\b"}: each folder below the volume root, the
// path's own last. Separators and repeats normalised, a "\\?\" prefix
// dropped. Error (E_INVALIDARG) for a path without a drive letter (relative,
// UNC: silod's folders live on a local volume) or with "." or "..".
Result<std::vector<std::string>> FolderLevels(const std::string& path);

// Secures `path` as silod's: the folders from `owned_from` (`path` itself or
// one of its parents) down to `path` are silod's, the rest its parents.
// Missing folders at any level are created secured (then they are silod's).
// `what` names the folder in errors ("root dir").
HrStatus SecurePrivateDir(PrivateDirOs& os, const std::string& path, const std::string& owned_from,
                          const std::string& what);

// The folder that `dirs` share and silod owns with them: their deepest common
// parent when it lies at least two levels below the volume root
// (C:\ProgramData\silo, never C:\ProgramData or C:\); "" otherwise.
std::string SharedDataDir(const std::vector<std::string>& dirs);

// Every folder silod keeps: the data folder (SharedDataDir of the others),
// `root`, `state` and `log_dir` (skipped when empty), each secured.
HrStatus SecureSiloFolders(PrivateDirOs& os, const std::string& root, const std::string& state,
                           const std::string& log_dir);

}  // namespace silo::win32
