#pragma once
// The node the Linux tests of the Windows CRI service stand for: what
// WindowsHostApis says about the host besides its API tables, the same
// whether silod runs in the test process or beside it on the fake host.

#include <algorithm>
#include <string>

#include "cri/daemon/windows/wire_windows_parts.h"
#include "image/registry/platform.h"

namespace silo::cri::fake_host {

// The Windows build the fake node runs (its images' os.version).
inline constexpr char kFakeNodeBuild[] = "10.0.20348.2227";

// Everything but the tables: name, CPUs, bind filter, image platform, and
// this machine's folders standing in for the node's C: drive.
inline void DescribeFakeNode(WindowsHostApis& apis) {
  apis.host_name = "winnode";
  apis.bind_filter_available = true;
  apis.host_cpus = 4;
  apis.image_platform = image::registry::Platform{"windows", "amd64", "", kFakeNodeBuild, {}};
  apis.hcs_path = [](const std::string& local) {
    std::string path = "C:" + local;
    std::replace(path.begin(), path.end(), '/', '\\');
    return path;
  };
}

}  // namespace silo::cri::fake_host
