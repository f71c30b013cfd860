// silod: the Silo CRI daemon.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <iostream>

#include "cri/daemon/config.h"
#include "cri/daemon/daemon.h"
#include "cri/daemon/flags.h"
#include "runtime/base/logging.h"
#include "runtime/base/version.h"
#include "spdlog/spdlog.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "silod: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using silo::cri::Flags;
  auto flags = silo::cri::ParseFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!flags.ok()) {
    std::fprintf(stderr, "silod: %s\n%s", std::string(flags.status().message()).c_str(), silo::cri::Usage());
    return 2;
  }
  switch (flags->command) {
    case Flags::Command::kHelp:
      std::fputs(silo::cri::Usage(), stdout);
      return 0;
    case Flags::Command::kVersion:
      std::printf("silod %s (commit %s)\n", silo::Version(), silo::GitCommit());
      return 0;
    case Flags::Command::kPrintDefaultConfig:
      std::fputs(silo::cri::ConfigToYaml(silo::cri::Config{}).c_str(), stdout);
      return 0;
    case Flags::Command::kServe:
      break;
  }

  silo::cri::Config config;
  if (!flags->config_file.empty()) {
    auto loaded = silo::cri::LoadConfigFile(flags->config_file);
    if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
    config = *loaded;
  }
  if (flags->root) config.root = *flags->root;
  if (flags->state) config.state = *flags->state;
  if (flags->listen) config.listen = *flags->listen;
  if (flags->log_level) config.log.level = *flags->log_level;
  if (auto s = silo::cri::ValidateConfig(config); !s.ok()) return Fail(std::string(s.message()));

  silo::LogOptions log;
  log.level = config.log.level;
  log.format = config.log.format;
  log.file = config.log.file;
  log.max_size_bytes = config.log.max_size_mb << 20;
  log.max_files = config.log.max_files;
  if (auto s = silo::SetupLogging(log); !s.ok()) return Fail(std::string(s.message()));

  // Signals are taken synchronously by this thread; every other thread
  // (gRPC's, civetweb's) inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto daemon = silo::cri::Daemon::Start(config);
  if (!daemon.ok()) {
    spdlog::critical("start-up failed: {}", std::string(daemon.status().message()));
    return Fail(std::string(daemon.status().message()));
  }
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received signal {}, shutting down", sig);
  (*daemon)->Shutdown();
  return 0;
}
