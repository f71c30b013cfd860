#pragma once
// PumpFds: relays bytes both ways between two connected file descriptors
// (sockets or pipes) until both directions have ended, e.g. an accepted
// named-pipe/unix connection and the gRPC server's private endpoint.
//
// - Half-close: when one side stops sending (read returns 0), the pump
//   finishes writing what it buffered and then shuts down the other side's
//   write half (shutdown(SHUT_WR)), while the other direction keeps flowing.
// - Abrupt disconnect: a reset or a write to a vanished peer ends the pump
//   with UNAVAILABLE; both descriptors are then shut down in both directions
//   so the surviving peer sees EOF at once instead of hanging.
// - A peer that closes entirely after it already sent EOF ends the pump
//   normally (its counterpart is shut down too: nobody is left to read).
//
// The descriptors stay owned by the caller (close them after PumpFds
// returns); the pump switches them to non-blocking mode. Blocks the calling
// thread; independent pumps run concurrently. Linux/POSIX only: the Windows
// relay drives the same PumpDirection logic with overlapped I/O.

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace silo::network::relay {

struct PumpOptions {
  size_t buffer_size = 64 * 1024;  // per direction
  // When >= 0: the pump stops with CANCELLED as soon as this fd is readable
  // (e.g. an eventfd or pipe the daemon signals at shutdown).
  int cancel_fd = -1;
};

struct PumpStats {
  uint64_t a_to_b = 0;  // bytes written to b
  uint64_t b_to_a = 0;  // bytes written to a
  absl::Status status;  // OK after a clean two-way end
};

PumpStats PumpFds(int a, int b, const PumpOptions& options = {});

}  // namespace silo::network::relay
