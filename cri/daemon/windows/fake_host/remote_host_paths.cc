#include "cri/daemon/windows/fake_host/remote_host_paths.h"

#include <vector>

namespace silo::cri::fake_host {

using runtime::windows::host_path::HostPathApi;

namespace {

constexpr Table kHostPathTable = Table::kHostPaths;

// The buffer and its capacity: the capacity goes, the filled part comes back.
uint32_t GetFinalPathNameByHandle(void* handle, wchar_t* buffer, uint32_t capacity, uint32_t flags,
                                  uint32_t* error) {
  WireWriter w = RequestFor<kHostPathTable, &HostPathApi::get_final_path_name_by_handle>();
  w.Put<uint64_t>(reinterpret_cast<uintptr_t>(handle));
  w.Put<uint8_t>(buffer != nullptr);
  w.Put(capacity);
  w.Put(flags);
  WireReader r = FakeHostClient::Get().Call(w);
  const uint32_t result = r.Get<uint32_t>();
  const uint32_t err = r.Get<uint32_t>();
  std::optional<std::wstring> filled = r.GetWide();
  if (error != nullptr) *error = err;
  if (buffer != nullptr && filled && filled->size() < capacity) {
    std::wmemcpy(buffer, filled->c_str(), filled->size() + 1);
  }
  return result;
}

HostEntry ServeGetFinalPathNameByHandle(const HostPathApi& api) {
  return [&api](ClientProcess&, WireReader& r, WireWriter& w) {
    auto handle = reinterpret_cast<void*>(static_cast<uintptr_t>(r.Get<uint64_t>()));
    const bool has_buffer = r.Get<uint8_t>() != 0;
    const uint32_t capacity = r.Get<uint32_t>();
    const uint32_t flags = r.Get<uint32_t>();
    if (!r.ok() || capacity > (1u << 20)) RefuseCall("GetFinalPathNameByHandle: a bad capacity");
    std::vector<wchar_t> buffer(has_buffer ? capacity + 1 : 0, L'\0');
    uint32_t error = 0;
    const uint32_t result = api.get_final_path_name_by_handle(handle, has_buffer ? buffer.data() : nullptr,
                                                              capacity, flags, &error);
    w.Put(result);
    w.Put(error);
    // Filled when the result (the length without the null) fits.
    w.PutWide(has_buffer && result > 0 && result < capacity ? buffer.data() : nullptr);
  };
}

}  // namespace

const HostPathApi& RemoteHostPathApi() {
  static const HostPathApi table = [] {
    HostPathApi t{};
    UseRemote<kHostPathTable, &HostPathApi::open_existing>(t);
    t.get_final_path_name_by_handle = &GetFinalPathNameByHandle;
    UseRemote<kHostPathTable, &HostPathApi::create_directory>(t);
    UseRemote<kHostPathTable, &HostPathApi::close_handle>(t);
    return t;
  }();
  return table;
}

void ServeHostPaths(HostEntries& entries, const HostPathApi& api) {
  Serve<kHostPathTable, &HostPathApi::open_existing>(
      entries, api, OpensHandle<1, &HostPathApi::close_handle>(kHostPathTable, api));
  entries[{kHostPathTable, EntryId<&HostPathApi::get_final_path_name_by_handle>()}] =
      ServeGetFinalPathNameByHandle(api);
  Serve<kHostPathTable, &HostPathApi::create_directory>(entries, api);
  Serve<kHostPathTable, &HostPathApi::close_handle>(entries, api, ClosesHandle<0>(kHostPathTable));
}

}  // namespace silo::cri::fake_host
