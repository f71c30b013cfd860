#include "network/relay/byte_pump.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "network/relay/pump_direction.h"
#include "runtime/base/file_util.h"

namespace silo::network::relay {
namespace {

absl::Status SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return silo::ErrnoToStatus(errno, absl::StrCat("byte pump: set O_NONBLOCK on fd ", fd));
  }
  return absl::OkStatus();
}

bool WouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

// send() with MSG_NOSIGNAL so a vanished peer is EPIPE, not SIGPIPE; write() for non-sockets.
ssize_t WriteSome(int fd, const char* data, size_t n) {
  ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
  if (w < 0 && errno == ENOTSOCK) w = write(fd, data, n);
  return w;
}

// One endpoint: `in` reads from it, `out` writes to it.
struct Side {
  int fd;
  const char* name;
  PumpDirection* in;
  PumpDirection* out;
  Side* other;
};

class Pump {
 public:
  Pump(int a, int b, const PumpOptions& options)
      : options_(options),
        ab_(options.buffer_size),
        ba_(options.buffer_size),
        a_{a, "a", &ab_, &ba_, &b_},
        b_{b, "b", &ba_, &ab_, &a_} {}

  PumpStats Run() {
    PumpStats stats;
    stats.status = Loop();
    if (!stats.status.ok()) {
      // Let both peers see the end now rather than when the caller closes.
      shutdown(a_.fd, SHUT_RDWR);
      shutdown(b_.fd, SHUT_RDWR);
    }
    stats.a_to_b = ab_.bytes_forwarded();
    stats.b_to_a = ba_.bytes_forwarded();
    return stats;
  }

 private:
  absl::Status Loop() {
    if (absl::Status s = SetNonBlocking(a_.fd); !s.ok()) return s;
    if (absl::Status s = SetNonBlocking(b_.fd); !s.ok()) return s;
    while (true) {
      for (Side* side : {&a_, &b_}) {
        if (absl::Status s = MaybeShutdown(*side); !s.ok()) return s;
      }
      if (ab_.Done() && ba_.Done()) return absl::OkStatus();

      pollfd fds[3] = {Poll(a_), Poll(b_), {options_.cancel_fd, POLLIN, 0}};
      const nfds_t n = options_.cancel_fd >= 0 ? 3 : 2;
      if (poll(fds, n, -1) < 0) {
        if (errno == EINTR) continue;
        return silo::ErrnoToStatus(errno, "byte pump: poll");
      }
      if (n == 3 && fds[2].revents != 0) return absl::CancelledError("byte pump: cancelled");
      if (absl::Status s = Service(a_, fds[0].revents); !s.ok()) return s;
      if (absl::Status s = Service(b_, fds[1].revents); !s.ok()) return s;
    }
  }

  // The sink's write half goes down once its direction has flushed after EOF.
  absl::Status MaybeShutdown(Side& sink) {
    if (!sink.out->ShouldShutdownSink()) return absl::OkStatus();
    if (shutdown(sink.fd, SHUT_WR) < 0 && errno != ENOTCONN && errno != ENOTSOCK) {
      return silo::ErrnoToStatus(errno, absl::StrCat("byte pump: shutdown(SHUT_WR) side ", sink.name));
    }
    sink.out->OnSinkShutdown();
    return absl::OkStatus();
  }

  static pollfd Poll(const Side& side) {
    short events = 0;
    if (side.in->WantsRead()) events |= POLLIN;
    if (side.out->WantsWrite()) events |= POLLOUT;
    // Idle but still owed data from the other side: watch for a hang-up, so a
    // peer that closes after its EOF does not leave the pump waiting forever.
    // Otherwise an idle fd is left out (a hung-up fd would make poll spin).
    const bool watch_hangup = events == 0 && side.in->source_eof() && !side.out->Done();
    if (events == 0 && !watch_hangup) return pollfd{-1, 0, 0};
    return pollfd{side.fd, events, 0};
  }

  absl::Status Service(Side& side, short revents) {
    if (revents == 0) return absl::OkStatus();
    if (revents & POLLNVAL) return absl::InvalidArgumentError(absl::StrCat("byte pump: side ", side.name, " fd invalid"));
    bool acted = false;
    if ((revents & (POLLIN | POLLHUP | POLLERR)) && side.in->WantsRead()) {
      acted = true;
      std::span<char> space = side.in->ReadSpace();
      const ssize_t r = read(side.fd, space.data(), space.size());
      if (r > 0) {
        side.in->CommitRead(static_cast<size_t>(r));
      } else if (r == 0) {
        side.in->OnSourceEof();
      } else if (!WouldBlock(errno)) {
        return Disconnect(side, "read", errno);
      }
    }
    if ((revents & (POLLOUT | POLLHUP | POLLERR)) && side.out->WantsWrite()) {
      acted = true;
      std::span<const char> data = side.out->WriteData();
      const ssize_t w = WriteSome(side.fd, data.data(), data.size());
      if (w >= 0) {
        side.out->CommitWrite(static_cast<size_t>(w));
      } else if (!WouldBlock(errno)) {
        return Disconnect(side, "write", errno);
      }
    }
    if (acted) return absl::OkStatus();
    if (revents & POLLERR) {
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(side.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err == 0) err = ECONNRESET;
      return Disconnect(side, "poll", err);
    }
    // POLLHUP after this side's EOF: its peer closed entirely, so whatever
    // the other side still sends can never be delivered. Stop that
    // direction and tell the other peer by shutting down our read half.
    side.out->Abandon();
    shutdown(side.other->fd, SHUT_RD);
    return absl::OkStatus();
  }

  static absl::Status Disconnect(const Side& side, const char* op, int err) {
    return absl::UnavailableError(
        absl::StrCat("byte pump: side ", side.name, " disconnected (", op, "): ", std::string(strerror(err))));
  }

  PumpOptions options_;
  PumpDirection ab_;
  PumpDirection ba_;
  Side a_;
  Side b_;
};

}  // namespace

PumpStats PumpFds(int a, int b, const PumpOptions& options) { return Pump(a, b, options).Run(); }

}  // namespace silo::network::relay
