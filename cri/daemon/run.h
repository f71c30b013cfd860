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

// What an entry point adds around the run (the Windows service: its status
// and the Application event log). Each may be null.
struct RunHooks {
  // Once logging is set up: sinks may be added to the default logger.
  std::function<void()> logging_ready;
  // Once the daemon serves, before `wait_for_stop`.
  std::function<void(const Config& config)> serving;
  // Start-up failed before logging could record it (bad flags or config):
  // the message that went to stderr. Failures after that are logged at
  // critical level instead.
  std::function<void(const std::string& message)> fatal;
};

// Returns the process exit code: 0 after a clean stop, 1 when start-up
// failed, 2 for a bad command line. `wait_for_stop` runs once the daemon
// serves and returns when it should stop.
int RunSilod(const std::vector<std::string>& args, const std::function<void()>& wait_for_stop,
             const RunHooks& hooks = {});

}  // namespace silo::cri
