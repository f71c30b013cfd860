#pragma once
// ClientProcess: the fake host's record of one process calling it (a silod
// under test): its lifeline connection, on which HCS events go back to it,
// and the handles it opened and has not closed, with how each is closed,
// so that the host can close them when the process dies as Windows does.
// (HCS handles are FakeHcs's own business: it models their holders.)
// Thread-safe.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "cri/daemon/windows/fake_host/wire.h"

namespace silo::cri::fake_host {

class ClientProcess : public std::enable_shared_from_this<ClientProcess> {
 public:
  ClientProcess(pid_t pid, int lifeline) : pid_(pid), lifeline_(lifeline) {}
  pid_t pid() const { return pid_; }

  // Sends one event message on the lifeline; false when the process is gone.
  bool SendEvent(const std::string& message);

  // `handle` of `table` was opened by this process; `close` closes it
  // through the host's table.
  void Track(Table table, void* handle, std::function<void()> close);
  // The process closed it (or tried: a handle it does not hold stays unknown).
  void Untrack(Table table, void* handle);
  int tracked() const;
  // The process died: closes what it left open; returns how many.
  int CloseLeftHandles();

 private:
  const pid_t pid_;
  const int lifeline_;
  std::mutex send_mu_;  // one event message at a time
  mutable std::mutex mu_;
  std::map<std::pair<Table, uintptr_t>, std::function<void()>> handles_;  // guarded by mu_
};

}  // namespace silo::cri::fake_host
