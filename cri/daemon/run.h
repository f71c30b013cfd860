#pragma once
// The body of silod's main, shared by the platforms' entry points
// (main.cc on Linux; main_win32.cc on Windows, for the console and the
// service): parse the command line, answer --help, --version and
// `config default`, else load and validate the config, set up logging, start
// the daemon, block in `wait_for_stop` and shut down.

#include <functional>
#include <string>
#include <vector>

#include "cri/daemon/config.h"

namespace silo::cri {

// The built-in defaults of this platform: what `silod config default`
// prints when no file is given.
Config PlatformDefaults();

// Returns the process exit code: 0 after a clean stop, 1 when start-up
// failed, 2 for a bad command line. `wait_for_stop` runs once the daemon
// serves and returns when it should stop.
int RunSilod(const std::vector<std::string>& args, const std::function<void()>& wait_for_stop);

}  // namespace silo::cri
