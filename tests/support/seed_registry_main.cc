// silo_seed_registry: the quick start's image source on a machine without
// internet (deploy/run.sh). Starts Debian's docker-registry on 127.0.0.1:PORT,
// pushes the busybox test image (busybox_image.h) as NAME:v1, prints its
// reference and serves until SIGTERM/SIGINT, then removes the registry.
//   silo_seed_registry --port 5000 --scratch DIR [--name silo/busybox]
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "image/registry/testing/local_registry.h"
#include "tests/support/busybox_image.h"

namespace {

volatile sig_atomic_t g_stop = 0;

int Usage() {
  std::fprintf(stderr, "usage: silo_seed_registry --port PORT --scratch DIR [--name NAME]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string scratch, name = "silo/busybox";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port" && absl::SimpleAtoi(value, &port)) continue;
    if (flag == "--scratch") {
      scratch = value;
    } else if (flag == "--name") {
      name = value;
    } else {
      return Usage();
    }
  }
  if (port <= 0 || scratch.empty() || argc % 2 == 0) return Usage();
  // A handler, not a blocked mask: docker-registry and skopeo must not
  // inherit blocked signals.
  struct sigaction sa = {};
  sa.sa_handler = [](int) { g_stop = 1; };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  auto registry = silo::image::registry::testing::LocalRegistry::Start({.port = port});
  if (!registry.ok()) {
    std::fprintf(stderr, "silo_seed_registry: %s\n", std::string(registry.status().message()).c_str());
    return 1;
  }
  auto image = silo::testing::PushBusyboxImage(registry->get(), scratch, name);
  if (!image.ok()) {
    std::fprintf(stderr, "silo_seed_registry: %s\n", std::string(image.status().message()).c_str());
    return 1;
  }
  std::printf("%s\n", image->c_str());
  std::fflush(stdout);
  while (!g_stop) pause();
  return 0;
}
