#pragma once
// ClientChild: a client of the fake host run as a child process of the
// test, so that the test can SIGKILL it (what the fake host exists for).
// Its stdout and stderr go to a file. Not thread-safe.

#include <sys/types.h>

#include <string>
#include <vector>

namespace silo::cri::fake_host {

// `name`, an executable built beside the running test binary.
std::string BesideThisTest(const std::string& name);

class ClientChild {
 public:
  // Starts `exe` with `args`; false with `error` set when it cannot.
  bool Start(const std::string& exe, const std::vector<std::string>& args, const std::string& output_path,
             std::string* error);
  // SIGKILL and reap; false when none ran.
  bool Kill();
  // SIGTERM and wait; its exit status (-1 when none ran).
  int Stop();
  // Killed if still running.
  ~ClientChild();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // Whether it has exited by itself (reaped then).
  bool Exited();

 private:
  pid_t pid_ = 0;
};

}  // namespace silo::cri::fake_host
