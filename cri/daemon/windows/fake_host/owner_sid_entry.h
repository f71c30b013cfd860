#pragma once
// The GetJobOwner-shaped entries of the tables that have one:
// uint32_t (void* job, wchar_t* sid, uint32_t capacity), a Win32 error.
// The handle and the capacity cross; the owner SID the host's table wrote
// comes back and is copied into the caller's buffer when it fits.

#include <cstdint>
#include <cwchar>
#include <optional>
#include <string>
#include <vector>

#include "cri/daemon/windows/fake_host/last_error.h"

namespace silo::cri::fake_host {

template <Table T, auto M>
struct OwnerSidEntry {
  static uint32_t Call(void* job, wchar_t* sid, uint32_t capacity) {
    WireWriter w = RequestFor<T, M>();
    w.Put<uint64_t>(reinterpret_cast<uintptr_t>(job));
    w.Put(capacity);
    WireReader r = FakeHostClient::Get().Call(w);
    const uint32_t error = r.Get<uint32_t>();
    std::optional<std::wstring> owner = r.GetWide();
    if (error == 0 && sid != nullptr && owner && owner->size() < capacity) {
      std::wmemcpy(sid, owner->c_str(), owner->size() + 1);
    }
    LastErrorEpilogue::Receive(r);
    return error;
  }

  template <class Api>
  static void Serve(HostEntries& entries, const Api& api) {
    entries[{T, EntryId<M>()}] = WithLastError(
        [&api](ClientProcess&, WireReader& r, WireWriter& w) {
          auto job = reinterpret_cast<void*>(static_cast<uintptr_t>(r.Get<uint64_t>()));
          const uint32_t capacity = r.Get<uint32_t>();
          if (!r.ok() || capacity > 4096) RefuseCall("GetJobOwner: a bad capacity");
          std::vector<wchar_t> sid(capacity + 1, L'\0');
          const uint32_t error = (api.*M)(job, sid.data(), capacity);
          w.Put(error);
          w.PutWide(error == 0 ? sid.data() : nullptr);
        },
        api);
  }
};

}  // namespace silo::cri::fake_host
