#include "cri/daemon/config_defaults.h"
#include "cri/daemon/run.h"

namespace silo::cri {

// The defaults of the platform silod was built for (C:\ProgramData\silo and
// npipe://./pipe/silo on Windows): the same base a config file's missing
// keys take theirs from.
Config PlatformDefaults() { return NativeDefaultConfig(); }

}  // namespace silo::cri
