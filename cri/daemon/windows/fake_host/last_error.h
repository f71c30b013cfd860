#pragma once
// GetLastError across processes: each response of a table with a
// get_last_error entry ends with the host's last error after the call, and
// the caller's get_last_error answers the last such call of its thread, as
// GetLastError answers a thread's last Win32 call, whichever DLL it was in.

#include <cstdint>

#include "cri/daemon/windows/fake_host/remote_entry.h"

namespace silo::cri::fake_host {

// RemoteEntry's epilogue for those tables.
struct LastErrorEpilogue {
  static void Receive(WireReader& r);
};

// The get_last_error entry of the caller's tables.
uint32_t RemoteLastError();

// The host's side: `entry`'s response, then `api.get_last_error()`.
template <class Api>
HostEntry WithLastError(HostEntry entry, const Api& api) {
  return [entry = std::move(entry), &api](ClientProcess& caller, WireReader& r, WireWriter& w) {
    entry(caller, r, w);
    w.Put(api.get_last_error());
  };
}

template <Table T, auto M, class Api, class... After>
void ServeWithLastError(HostEntries& entries, const Api& api, After... after) {
  entries[{T, EntryId<M>()}] = WithLastError(ServeEntry<M>::Make(api, after...), api);
}

}  // namespace silo::cri::fake_host
