#include "cri/daemon/run.h"

namespace silo::cri {

// The hook for per-platform defaults (C:\ProgramData\silo and
// npipe://./pipe/silo on Windows): until they exist, Config's own.
Config PlatformDefaults() { return Config{}; }

}  // namespace silo::cri
