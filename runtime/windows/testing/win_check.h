#pragma once
// A minimal check harness for the Windows test executables (mingw-w64 has
// no GoogleTest): CHECK counts failures and prints where, UnderWine() lets a
// test skip what Wine does not implement, RunWinTests runs named tests and
// prints one line each plus a summary, returning the process exit code.
// Win32 only.

#include <windows.h>

#include <cstdio>
#include <functional>
#include <iterator>
#include <utility>

namespace silo::windows_testing {

inline int& Failures() {
  static int failures = 0;
  return failures;
}

#define SILO_WIN_CHECK(cond)                                           \
  do {                                                                 \
    if (!(cond)) {                                                     \
      std::printf("  FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
      ++::silo::windows_testing::Failures();                           \
    }                                                                  \
  } while (0)

inline bool UnderWine() {
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

struct WinTest {
  const char* name;
  std::function<void()> run;
};

template <size_t N>
int RunWinTests(const WinTest (&tests)[N]) {
  int failed = 0;
  for (const auto& t : tests) {
    const int before = Failures();
    t.run();
    const bool ok = Failures() == before;
    failed += ok ? 0 : 1;
    std::printf("[%s] %s\n", ok ? "  OK  " : "FAILED", t.name);
  }
  std::printf("%d of %zu tests passed\n", static_cast<int>(N) - failed, N);
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}

}  // namespace silo::windows_testing
