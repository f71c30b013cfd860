#pragma once
// Test helper: runs a shell command and returns its exit code and combined
// output. For tests that drive real tools (ip, ping, iptables); never for
// production code, which must not go through a shell.

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace silo::testing {

struct CmdResult {
  int exit_code = -1;  // -1 when the command could not run or was killed
  std::string output;  // stdout and stderr
};

inline CmdResult Sh(const std::string& cmd) {
  CmdResult r;
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) r.output.append(buf, n);
  int st = ::pclose(f);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace silo::testing
