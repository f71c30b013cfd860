// silo-shim: one per container; see shim_server.h for what it does.
//
//   silo-shim --id ID --bundle DIR --runc-root DIR --log FILE --socket PATH
//             --exit-file FILE [--runc BINARY] [--create-only true] [--stdin true]
//             [--tty true]
//
// The invoking process returns once the container is created (and started,
// unless --create-only true) and the socket is listening (exit 0), or with runc's error on stderr (exit 1). The shim
// itself lives on detached: its own session, stdio on /dev/null, a child
// subreaper so the container's init becomes its child.

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "runtime/shim/shim_server.h"

namespace {

using silo::runtime::shim::ShimOptions;
using silo::runtime::shim::ShimServer;

bool ParseArgs(int argc, char** argv, ShimOptions* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--id") o->id = value;
    else if (flag == "--bundle") o->bundle = value;
    else if (flag == "--runc") o->runc_binary = value;
    else if (flag == "--runc-root") o->runc_root = value;
    else if (flag == "--log") o->log_path = value;
    else if (flag == "--socket") o->socket_path = value;
    else if (flag == "--exit-file") o->exit_file = value;
    else if (flag == "--create-only") o->create_only = value == "true";
    else if (flag == "--stdin") o->open_stdin = value == "true";
    else if (flag == "--tty") o->tty = value == "true";
    else return false;
  }
  return argc % 2 == 1 && !o->id.empty() && !o->bundle.empty() && !o->runc_root.empty() &&
         !o->log_path.empty() && !o->socket_path.empty() && !o->exit_file.empty();
}

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// The daemon half. Reports "OK" or an error on `ready_fd`, then serves.
int RunDaemon(const ShimOptions& options, int ready_fd) {
  ::setsid();
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
    if (null_fd > 2) ::close(null_fd);
  }
  ::chdir("/");
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    WriteAll(ready_fd, std::string("prctl(PR_SET_CHILD_SUBREAPER): ") + std::strerror(errno));
    return 1;
  }
  ShimServer server(options);
  absl::Status s = server.Start();
  if (!s.ok()) {
    WriteAll(ready_fd, s.ToString());
    return 1;
  }
  WriteAll(ready_fd, "OK");
  ::close(ready_fd);
  return server.Run().ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  ShimOptions options;
  if (!ParseArgs(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: silo-shim --id ID --bundle DIR --runc-root DIR --log FILE --socket PATH "
                 "--exit-file FILE [--runc BINARY] [--create-only true] [--stdin true]\n");
    return 2;
  }
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    std::perror("silo-shim: pipe");
    return 1;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("silo-shim: fork");
    return 1;
  }
  if (pid == 0) {
    ::close(ready[0]);
    return RunDaemon(options, ready[1]);
  }
  ::close(ready[1]);
  std::string report;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(ready[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) report.append(buf, static_cast<size_t>(n));
  }
  if (report == "OK") {
    std::printf("%d\n", pid);  // the shim's pid, for the caller's records
    return 0;
  }
  std::fprintf(stderr, "silo-shim %s: %s\n", options.id.c_str(),
               report.empty() ? "shim died during start-up" : report.c_str());
  return 1;
}
