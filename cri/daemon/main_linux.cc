// silod: the Silo CRI daemon (Linux entry point).
#include <pthread.h>
#include <signal.h>

#include <string>
#include <vector>

#include "cri/daemon/run.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  // Signals are taken synchronously by this thread; every other thread
  // (gRPC's, civetweb's) inherits the blocked mask, so block them before the
  // daemon starts any.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  return silo::cri::RunSilod(std::vector<std::string>(argv + 1, argv + argc), [&signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("received signal {}, shutting down", sig);
  });
}
