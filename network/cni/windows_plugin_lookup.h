#pragma once
// Where a CNI plugin named by a network config's "type" lives on Windows:
// `type.exe` or `type` (the Windows CNI plugins ship as win-bridge.exe,
// win-overlay.exe, ...; configs name them without the extension), in the
// configured bin dirs, first match wins; like libcni, `.exe` is tried first.
// A dir is joined to the name with a backslash, or with '/' when that is
// the only separator it is written with. The name comes from a config file,
// so only a plain file name is accepted: no path separators (/ or \), no
// drive letter or stream (:), not . or .., and not a DOS device name (CON,
// PRN, AUX, NUL, COM1-9, LPT1-9, CONIN$, CONOUT$, with or without an
// extension), which Windows would open as the device whatever the folder.
// Portable (tested on Linux); the Windows PluginExec supplies `is_file`.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace silo::network::cni {

// InvalidArgument naming the rule `type` breaks; OK for a plain file name.
absl::Status CheckWindowsPluginName(const std::string& type);

// The full path of the first of `dir\type.exe`, `dir\type` (for each dir in
// order) that `is_file` accepts; InvalidArgument for a bad name, NotFound
// naming the dirs searched.
absl::StatusOr<std::string> FindWindowsPluginBinary(const std::vector<std::string>& bin_dirs, const std::string& type,
                                                    const std::function<bool(const std::string& path)>& is_file);

}  // namespace silo::network::cni
