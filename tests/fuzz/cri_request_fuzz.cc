// Fuzz target: CRI requests fed to the service's handlers without gRPC
// (cri_request_harness.h says what is real). The first byte selects the RPC,
// the rest is parsed as its request; every call must return a status (any
// code) without crashing or hanging. When the process exits, every pod and
// container the run created is removed through the service and nothing may
// be left (lists empty, no mounts, no pod cgroups): a violation aborts.
// Not root: exits 77 at the first input (ctest counts it as skipped).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "tests/fuzz/cri_request_harness.h"

namespace {

silo::fuzz::CriHarness* harness = nullptr;

void CleanUpAtExit() {
  absl::Status s = harness->CleanUpAndCheck();
  const std::string dir = harness->dir();
  delete harness;
  harness = nullptr;
  if (!s.ok()) {
    std::fprintf(stderr, "cri_request fuzz: state left behind in %s: %s\n", dir.c_str(), s.ToString().c_str());
    std::fflush(nullptr);
    std::abort();
  }
  std::fprintf(stderr, "cri_request fuzz: cleanup ok, nothing left\n");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (harness == nullptr) {
    absl::StatusOr<std::unique_ptr<silo::fuzz::CriHarness>> h = silo::fuzz::CriHarness::Create();
    if (!h.ok()) {
      std::fprintf(stderr, "cri_request fuzz: skipped: %s\n", h.status().ToString().c_str());
      std::exit(77);
    }
    harness = h->release();
    std::atexit(CleanUpAtExit);
  }
  if (size == 0) return 0;
  (void)harness->Call(data[0], data + 1, size - 1);
  return 0;
}
