#include "runtime/shim/stream_exec.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/shim/console_socket.h"

namespace silo::runtime::shim {
namespace {

// Closes every descriptor it still holds when it goes out of scope.
struct FdSet {
  std::vector<int> fds;
  ~FdSet() {
    for (int f : fds) {
      if (f >= 0) ::close(f);
    }
  }
  int Add(int f) {
    fds.push_back(f);
    return f;
  }
  // Gives up ownership of `f` (it is the caller's now).
  int Release(int f) {
    for (int& x : fds) {
      if (x == f) x = -1;
    }
    return f;
  }
};

}  // namespace

absl::StatusOr<StreamExecProcess> StartStreamExec(const linux_backend::Runc& runc, const std::string& id,
                                                  const std::string& scratch, const std::string& process_json,
                                                  bool tty, bool stdin) {
  std::string json_path = scratch + ".json", pid_path = scratch + ".pid";
  SILO_RETURN_IF_ERROR(AtomicWriteFile(json_path, process_json));
  CleanupStack cleanup;
  cleanup.Push("remove exec files", [json_path, pid_path] {
    ::unlink(json_path.c_str());
    ::unlink(pid_path.c_str());
    return absl::OkStatus();
  });

  FdSet owned;
  linux_backend::RuncStdio stdio;  // the process's ends; -1 = /dev/null
  std::vector<int> caller;
  std::vector<std::string> args = {"exec", "--detach"};
  ConsoleSocket console;
  if (tty) {
    SILO_RETURN_IF_ERROR(console.Open());
    args.insert(args.end(), {"--tty", "--console-socket", console.path()});
  } else {
    int p[2];
    if (stdin) {
      if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "exec stdin pipe");
      stdio.in = owned.Add(p[0]);
      caller.push_back(owned.Add(p[1]));
    }
    for (int* child : {&stdio.out, &stdio.err}) {
      if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "exec output pipe");
      caller.push_back(owned.Add(p[0]));
      *child = owned.Add(p[1]);
    }
  }
  args.insert(args.end(), {"--process", json_path, "--pid-file", pid_path, id});
  SILO_ASSIGN_OR_RETURN(linux_backend::Runc::Result result, runc.Run(args, &stdio));
  // Only the process keeps its ends, so EOF on ours means it closed them.
  for (int f : {stdio.in, stdio.out, stdio.err}) {
    if (f >= 0) ::close(owned.Release(f));
  }
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat("runc exec in container ", id, " failed (exit ", result.exit_code,
                                            "): ", result.error));
  }
  if (tty) {
    SILO_ASSIGN_OR_RETURN(int master, console.ReceiveMaster());
    caller.push_back(owned.Add(master));
  }
  StreamExecProcess process;
  auto pid_text = ReadFile(pid_path);
  if (!pid_text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*pid_text), &process.pid) ||
      process.pid <= 0) {
    return absl::InternalError(absl::StrCat("exec in ", id, ": unreadable pid file ", pid_path));
  }
  for (int f : caller) process.fds.push_back(owned.Release(f));
  return process;
}

}  // namespace silo::runtime::shim
