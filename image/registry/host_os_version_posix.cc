#include "image/registry/host_os_version.h"

namespace silo::image::registry {

// Only Windows images are matched by os.version.
std::string HostOsVersion() { return ""; }

}  // namespace silo::image::registry
