#pragma once
// EventLogApi bound to advapi32 (Windows only).

#include "cri/daemon/windows/event_log_api.h"

namespace silo::cri::windows {

const EventLogApi& Win32EventLogApi();

}  // namespace silo::cri::windows
