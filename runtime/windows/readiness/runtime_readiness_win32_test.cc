// The readiness probe on this host (Wine in CI): its verdict on each DLL
// must be what LoadLibraryExW says independently, and Wine, which has no
// HCS, must be reported not ready with every DLL named.
#include <windows.h>

#include <string>

#include "runtime/windows/readiness/readiness_api_win32.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using namespace silo::runtime::windows::readiness;
#define CHECK(cond) SILO_WIN_CHECK(cond)

bool Loads(const wchar_t* dll) {
  HMODULE m = LoadLibraryExW(dll, nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (m != nullptr) FreeLibrary(m);
  return m != nullptr;
}

void AgreesWithTheLoaderOnEachDll() {
  const RuntimeReadiness r = ProbeHostRuntimeReadiness();
  std::printf("  ready=%d reason=%s message=%s\n", r.ready, r.reason.c_str(), r.message.c_str());
  for (const auto& [wide, name] : {std::pair{L"computecore.dll", "computecore.dll"},
                                   std::pair{L"vmcompute.dll", "vmcompute.dll"},
                                   std::pair{L"computenetwork.dll", "computenetwork.dll"}}) {
    const bool named = r.message.find(std::string(name) + " not found in System32") != std::string::npos;
    CHECK(named == !Loads(wide));
  }
  CHECK(r.ready == r.missing.empty());
}

void WineIsNotReady() {
  if (!silo::windows_testing::UnderWine()) {
    std::printf("  skipped: not under Wine\n");
    return;
  }
  const RuntimeReadiness r = ProbeHostRuntimeReadiness();
  CHECK(!r.ready);
  CHECK(r.reason == kReasonFeatureMissing);
  CHECK(r.message.find("computecore.dll not found in System32") != std::string::npos);
  CHECK(r.message.find("vmcompute.dll not found in System32") != std::string::npos);
  CHECK(r.message.find("service hns is not installed") != std::string::npos);
}

}  // namespace

int main() {
  const silo::windows_testing::WinTest tests[] = {
      {"AgreesWithTheLoaderOnEachDll", AgreesWithTheLoaderOnEachDll},
      {"WineIsNotReady", WineIsNotReady},
  };
  return silo::windows_testing::RunWinTests(tests);
}
