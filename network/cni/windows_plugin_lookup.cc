#include "network/cni/windows_plugin_lookup.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace silo::network::cni {
namespace {

// Windows ignores trailing dots and spaces and anything after the first dot
// when it decides whether a name is a device ("nul.txt " is NUL).
bool IsDosDeviceName(const std::string& type) {
  std::string base = absl::AsciiStrToUpper(type.substr(0, type.find('.')));
  while (!base.empty() && (base.back() == ' ' || base.back() == '.')) base.pop_back();
  if (base == "CON" || base == "PRN" || base == "AUX" || base == "NUL" || base == "CONIN$" || base == "CONOUT$") {
    return true;
  }
  // COM1-COM9 and LPT1-LPT9 (Windows also takes the superscript digits, which
  // are not ASCII and so already fail the character check below).
  return base.size() == 4 && (absl::StartsWith(base, "COM") || absl::StartsWith(base, "LPT")) && base[3] >= '1' &&
         base[3] <= '9';
}

absl::Status Bad(const std::string& type, const char* why) {
  return absl::InvalidArgumentError(absl::StrCat("CNI plugin type \"", type, "\" must be a plain file name: ", why));
}

}  // namespace

absl::Status CheckWindowsPluginName(const std::string& type) {
  if (type.empty()) return Bad(type, "it is empty");
  if (type == "." || type == "..") return Bad(type, "it names a folder");
  for (char c : type) {
    if (c == '/' || c == '\\') return Bad(type, "it holds a path separator");
    if (c == ':') return Bad(type, "it holds a drive letter or stream (:)");
    if (static_cast<unsigned char>(c) < 0x20 || c == '<' || c == '>' || c == '"' || c == '|' || c == '?' ||
        c == '*') {
      return Bad(type, "it holds a character Windows file names cannot");
    }
  }
  if (type.find("..") != std::string::npos) return Bad(type, "it holds \"..\"");
  if (IsDosDeviceName(type)) return Bad(type, "it is a DOS device name");
  return absl::OkStatus();
}

absl::StatusOr<std::string> FindWindowsPluginBinary(const std::vector<std::string>& bin_dirs, const std::string& type,
                                                    const std::function<bool(const std::string& path)>& is_file) {
  if (absl::Status s = CheckWindowsPluginName(type); !s.ok()) return s;
  // libcni's FindInPath tries ".exe" before the bare name on Windows, so a
  // dir holding both `bridge` and `bridge.exe` runs the executable.
  std::vector<std::string> names;
  if (!absl::EndsWithIgnoreCase(type, ".exe")) names.push_back(absl::StrCat(type, ".exe"));
  names.push_back(type);
  for (const std::string& dir : bin_dirs) {
    const bool has_separator = !dir.empty() && (dir.back() == '\\' || dir.back() == '/');
    // Windows takes either separator; a dir written with '/' only (a
    // config's C:/cni/bin, or this machine's folders in the Linux test
    // build) is joined with it.
    const char* separator = dir.find('/') != std::string::npos && dir.find('\\') == std::string::npos ? "/" : "\\";
    for (const std::string& name : names) {
      std::string path = absl::StrCat(dir, has_separator ? "" : separator, name);
      if (is_file(path)) return path;
    }
  }
  return absl::NotFoundError(absl::StrCat("CNI plugin \"", type, "\" (or ", type, ".exe) not found in ",
                                          absl::StrJoin(bin_dirs, ", ")));
}

}  // namespace silo::network::cni
