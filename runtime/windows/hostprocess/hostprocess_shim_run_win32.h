#pragma once
// RunHostProcessShim: silo-shim.exe in its HostProcess mode, one process per
// HostProcess container, started by silod's ShimPort and left running
// across silod's restarts:
//
//   silo-shim.exe --id <container> --exit-file <path> --hostprocess <json file>
//                 [--log <path>] [--create-only]
//
// It reads the launch description (hostprocess_monitor.h), creates the
// container's job and holds its only handle (kill-on-close: when this
// process dies, the container's processes end), then serves
// \\.\pipe\silo-shim-<id> (ServeHostProcessRequest) until silod sends
// `shutdown`. Unless --create-only it starts the container at once.
// Exit codes as RunShim's: 0 after shutdown, 2 usage, 1 when the container
// could not be set up (nothing is left behind). Win32 only.

#include "runtime/windows/hostprocess/process_api.h"

namespace silo::runtime::windows::hostprocess {

// Whether the command line asks for the HostProcess mode (--hostprocess).
bool WantsHostProcessShim(int argc, wchar_t** argv);

int RunHostProcessShim(int argc, wchar_t** argv, const ProcessApi& api);

}  // namespace silo::runtime::windows::hostprocess
