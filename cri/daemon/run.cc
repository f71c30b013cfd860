#include "cri/daemon/run.h"

#include <cstdio>

#include "cri/daemon/daemon.h"
#include "cri/daemon/listener.h"
#include "cri/daemon/flags.h"
#include "runtime/base/logging.h"
#include "runtime/base/version.h"
#include "spdlog/spdlog.h"

namespace silo::cri {
namespace {

int PrintFailure(const std::string& message) {
  std::fprintf(stderr, "silod: %s\n", message.c_str());
  return 1;
}

}  // namespace

int RunSilod(const std::vector<std::string>& args, const std::function<void()>& wait_for_stop,
             const RunHooks& hooks) {
  auto Fail = [&hooks](const std::string& message) {
    if (hooks.fatal) hooks.fatal(message);
    return PrintFailure(message);
  };
  auto flags = ParseFlags(args);
  if (!flags.ok()) {
    std::fprintf(stderr, "silod: %s\n%s", std::string(flags.status().message()).c_str(), Usage());
    if (hooks.fatal) hooks.fatal(std::string(flags.status().message()));
    return 2;
  }
  switch (flags->command) {
    case Flags::Command::kHelp:
      std::fputs(Usage(), stdout);
      return 0;
    case Flags::Command::kVersion:
      std::printf("silod %s (commit %s)\n", silo::Version(), silo::GitCommit());
      return 0;
    case Flags::Command::kPrintDefaultConfig:
      std::fputs(ConfigToYaml(PlatformDefaults()).c_str(), stdout);
      return 0;
    case Flags::Command::kServe:
      break;
  }

  Config config = PlatformDefaults();
  if (!flags->config_file.empty()) {
    auto loaded = LoadConfigFile(flags->config_file);
    if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
    config = *loaded;
  }
  if (flags->root) config.root = *flags->root;
  if (flags->state) config.state = *flags->state;
  if (flags->listen) config.listen = *flags->listen;
  if (flags->log_level) config.log.level = *flags->log_level;
  if (auto s = ValidateConfig(config); !s.ok()) return Fail(std::string(s.message()));

  // Before the log file exists: its folder is made private first.
  if (auto s = PreparePrivateDirs(config.root, config.state, config.log.file); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  LogOptions log;
  log.level = config.log.level;
  log.format = config.log.format;
  log.file = config.log.file;
  log.max_size_bytes = config.log.max_size_mb << 20;
  log.max_files = config.log.max_files;
  if (auto s = SetupLogging(log); !s.ok()) return Fail(std::string(s.message()));
  if (hooks.logging_ready) hooks.logging_ready();

  auto daemon = Daemon::Start(config);
  if (!daemon.ok()) {
    spdlog::critical("start-up failed: {}", std::string(daemon.status().message()));
    return PrintFailure(std::string(daemon.status().message()));
  }
  if (hooks.serving) hooks.serving(config);
  wait_for_stop();
  (*daemon)->Shutdown();
  return 0;
}

}  // namespace silo::cri
