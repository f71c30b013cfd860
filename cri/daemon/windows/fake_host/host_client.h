#pragma once
// FakeHostClient: the calling side of the fake Windows host, in the process
// that uses the remote tables (a silod under test). The tables hold plain
// function pointers, so there is one client per process. Its lifeline
// connection is the process itself for the host: when it closes (the
// process dies), the host closes every handle the process left open, as
// Windows does at process exit; it also carries HCS events, which the
// client delivers to the registered callbacks on its own thread. Each
// calling thread gets its own connection, so a blocking call blocks only
// its caller. A call to a host that went away ends the process (nothing
// it could do would be meaningful). Thread-safe.

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "cri/daemon/windows/fake_host/wire.h"
#include "runtime/windows/hcs/api.h"

namespace silo::cri::fake_host {

class FakeHostClient {
 public:
  // Connects this process to the host listening on `socket_path`; false
  // with `error` set when it cannot. Once per process.
  static bool Connect(const std::string& socket_path, std::string* error);
  // The connected client (aborts when Connect did not succeed).
  static FakeHostClient& Get();

  // One call: `request` starts with the table and entry (see wire.h);
  // returns the response.
  WireReader Call(const WireWriter& request);

  // HCS callbacks: the host sends events for `id`, which run `callback`
  // with `context` here. Unregister returns once no callback of the handle
  // runs (unless called from one), as HcsClose* guarantees.
  uint64_t RegisterCallback(void* handle, runtime::windows::hcs::HcsEventCallback callback, void* context);
  void UnregisterCallbacks(void* handle);

 private:
  struct Registration {
    void* handle;
    runtime::windows::hcs::HcsEventCallback callback;
    void* context;
  };
  FakeHostClient(std::string socket_path, int lifeline);
  int ConnectThread();
  void DeliverEvents();

  const std::string socket_path_;
  const int lifeline_;
  std::thread::id events_thread_;  // the thread that runs callbacks
  std::mutex mu_;
  std::condition_variable idle_;
  std::map<uint64_t, Registration> callbacks_;  // guarded by mu_
  uint64_t next_callback_ = 1;                  // guarded by mu_
  uint64_t delivering_ = 0;                     // guarded by mu_: the callback running now, 0 = none
};

// Connects a socket to the host and says hello; -1 on failure.
int DialFakeHost(const std::string& socket_path, ConnectionKind kind, std::string* error);

}  // namespace silo::cri::fake_host
