#pragma once
// RunShim: the whole of silo-shim.exe, the per-container monitor on Windows (design: "Windows
// processes and build"). silod starts one per container and leaves it
// running across its own restarts:
//
//   silo-shim.exe --id <container> --exit-file <path> --process <json file>
//                 [--document <json file>] [--log <path>] [--stdin] [--create-only]
//
// With --document it creates the compute system (HcsCreateComputeSystem,
// ShouldTerminateOnLastHandleClosed forced on: when this process dies, for
// whatever reason, HCS ends the container), else it opens the one silod
// created. Files are opened by extended-length path (long paths work). Unless --create-only it starts the
// container at once; either way it then serves \\.\pipe\silo-shim-<id>
// until silod sends `shutdown`. Exit codes: 0 after shutdown, 2 usage,
// 1 when the container could not be set up (nothing is left behind).
#include <functional>
#include <string>

#include "runtime/base/windows/result.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/stdio_io.h"

namespace silo::runtime::windows::shim {

// The value after option argv[*i] as UTF-8, advancing *i; false when the
// option is the last argument. Shared by both modes' parsers.
bool TakeShimArgValue(int argc, wchar_t** argv, int* i, std::string* out);

// Parses the command line above and runs the monitor until shutdown; the
// process's exit code. `load_api` gives the HCS table (computecore.dll in
// silo-shim.exe; the fake in the Wine test's stand-in shim). Win32 only.
int RunShim(int argc, wchar_t** argv, const std::function<win32::Result<const hcs::HcsApi*>()>& load_api,
            const hcs::StdioIo& io);

}  // namespace silo::runtime::windows::shim
