#pragma once
// The body of silo-shim once it has daemonised: it creates and starts one
// runc container with its stdout/stderr on pipes, copies them into the CRI
// log, reaps the container's init (the shim is a child subreaper), records
// the exit durably and serves the shim protocol on an AF_UNIX socket.
//
// Single-threaded: one poll loop over the listening socket, the clients, the
// two output pipes, exec sessions' pipes (exec_session.h) and a signalfd for
// SIGCHLD/SIGTERM. `exec` runs `runc exec --detach`; the process is reaped
// here like the init, and its output (capped) returned with its exit code. The exit file is
// written (AtomicWriteFile) before any waiter is answered, and only after the
// output pipes reached EOF (or 2 s after the exit), so a reader of the exit
// file also finds the whole log.
//
// `attach` hands the client fresh pipes that receive a copy of the main
// process's stdout and stderr from then on (plus a duplicate of its stdin
// pipe when the container has one). The copies are written without
// blocking: an attacher that falls a pipe's capacity behind is cut off, so a
// slow client can neither stall the log nor make the shim buffer. Its pipes
// reach EOF when the exit is recorded. `close_stdin` closes the container's
// stdin (CRI stdin_once).
//
// States: created (only with create_only) -> running -> stopped.
// Lifetime: serves until a `shutdown` request arrives after the container
// has exited (then deletes it from runc and returns), or SIGTERM once the
// exit is recorded. While the container runs, shutdown is refused.

#include <memory>
#include <string>

#include "absl/status/status.h"

namespace silo::runtime::shim {

struct ShimOptions {
  std::string id;
  std::string bundle;
  std::string runc_binary = "runc";
  std::string runc_root;
  std::string log_path;
  std::string socket_path;
  std::string exit_file;
  // Leave the container "created" until a `start` request (CRI's
  // CreateContainer/StartContainer split); otherwise start it at once.
  bool create_only = false;
  // Give the container a stdin pipe (CRI `stdin`), written through attach.
  bool open_stdin = false;
  // The main process runs on a terminal (CRI `tty`; the bundle's
  // process.terminal must agree): the shim holds the pty master, logs what
  // the terminal prints as stdout, and attach writes stdin into it.
  bool tty = false;
};

class ShimServer {
 public:
  explicit ShimServer(ShimOptions options);
  ~ShimServer();

  // Blocks SIGCHLD/SIGTERM (into a signalfd), binds the socket, creates and
  // starts the container. On failure everything made so far is undone.
  absl::Status Start();

  // Serves until shutdown; returns the first fatal error, if any.
  absl::Status Run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The exit file's content: {"exit_code":N,"exited_at_unix_nanos":T}.
std::string FormatExitFile(int exit_code, int64_t exited_at_unix_nanos);

}  // namespace silo::runtime::shim
