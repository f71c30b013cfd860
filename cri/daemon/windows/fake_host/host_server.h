#pragma once
// FakeHostServer: a fake Windows host served on a unix socket, so that a
// silod in another process runs on the test's fake API tables and can be
// SIGKILLed: the fakes, and the shims (simulated processes of the fake HCS),
// live here and outlive it. Each client process (FakeHostClient) is one
// process to the fakes: its HCS calls are FakeHcs's process 0, and when its
// lifeline closes the host waits for its calls in flight, then closes what
// it left open, as Windows does at process exit: FakeHcs::ReapHolder(0)
// (ending its ShouldTerminateOnLastHandleClosed systems) and the other
// tables' handles through their own close entries. One client process at a
// time uses HCS (they would share process 0). Thread-safe.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/daemon/windows/fake_host/remote_entry.h"

namespace silo::cri::fake_host {

class FakeHostServer {
 public:
  // Serves `entries` (see the tables' Serve* functions) on `socket_path`.
  // `reap_hcs` closes the HCS handles of the client process that died and
  // returns how many (FakeHcs::ReapHolder(0)); null when HCS is not served.
  static absl::StatusOr<std::unique_ptr<FakeHostServer>> Start(const std::string& socket_path,
                                                               HostEntries entries,
                                                               std::function<int()> reap_hcs);
  // Stops serving: client processes still connected are treated as dead.
  ~FakeHostServer();
  FakeHostServer(const FakeHostServer&) = delete;
  FakeHostServer& operator=(const FakeHostServer&) = delete;

  // What one client process's death closed.
  struct Death {
    pid_t pid = 0;
    int hcs_handles = 0;    // closed by FakeHcs::ReapHolder
    int other_handles = 0;  // closed through the other tables' close entries
  };
  // Waits until `n` client processes have died and been reaped.
  bool WaitForDeaths(size_t n, std::chrono::milliseconds timeout);
  std::vector<Death> deaths() const;
  int live_clients() const;

  // Calls of `entry` of `table` wait, before they reach the fake, until
  // their process dies (then they never run) or ReleaseHeldCalls: a test
  // can so kill a client while it is inside a call, holding its handles.
  void HoldCalls(Table table, uint32_t entry);
  bool WaitForHeldCall(std::chrono::milliseconds timeout);
  void ReleaseHeldCalls();

 private:
  FakeHostServer(int listen_fd, HostEntries entries, std::function<int()> reap_hcs);
  void AcceptLoop();
  void Serve(int fd);
  void ServeCalls(int fd, const std::shared_ptr<ClientProcess>& process);
  void ServeLifeline(int fd, const std::shared_ptr<ClientProcess>& process);
  // False when the call must not run: its process died while it was held.
  bool WaitIfHeld(Table table, uint32_t entry, pid_t pid);

  const int listen_fd_;
  const HostEntries entries_;
  const std::function<int()> reap_hcs_;
  std::thread accept_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;                                   // guarded by mu_
  std::set<int> open_fds_;                                  // guarded by mu_
  std::vector<std::thread> connections_;                    // guarded by mu_
  std::map<pid_t, std::shared_ptr<ClientProcess>> live_;    // guarded by mu_
  std::map<pid_t, std::set<int>> call_fds_;                 // guarded by mu_: per live process
  std::vector<Death> deaths_;                               // guarded by mu_
  std::set<pid_t> dying_;                                   // guarded by mu_
  std::optional<std::pair<Table, uint32_t>> hold_;          // guarded by mu_
  int held_ = 0;                                            // guarded by mu_: calls waiting at hold_
};

}  // namespace silo::cri::fake_host
