#include "runtime/base/version.h"

#ifndef SILO_VERSION
#define SILO_VERSION "dev"
#endif
#ifndef SILO_GIT_COMMIT
#define SILO_GIT_COMMIT "unknown"
#endif

namespace silo {

const char* Version() { return SILO_VERSION; }
const char* GitCommit() { return SILO_GIT_COMMIT; }

}  // namespace silo
