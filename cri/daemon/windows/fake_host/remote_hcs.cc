#include "cri/daemon/windows/fake_host/remote_hcs.h"

#include <deque>
#include <memory>
#include <mutex>

namespace silo::cri::fake_host {

namespace hcs = runtime::windows::hcs;
using hcs::HcsApi;
using hcs::HcsEvent;
using hcs::HcsEventCallback;
using hcs::HcsHandle;

template <>
inline constexpr bool kPlainData<hcs::HcsProcessInformation> = true;

namespace {

constexpr Table kHcsTable = Table::kHcs;

// --- Client side -----------------------------------------------------------

HcsHandle CreateOperation(const void* context, hcs::HcsOperationCompletion callback) {
  if (context != nullptr || callback != nullptr) {
    RefuseCall("HcsCreateOperation with a completion callback: the fake host delivers none");
  }
  WireWriter w = RequestFor<kHcsTable, &HcsApi::create_operation>();
  WireReader r = FakeHostClient::Get().Call(w);
  return GetResult<HcsHandle>(r);
}

// set_compute_system_callback and set_process_callback: the host calls
// back with the registration's number.
template <auto M>
uint32_t SetCallback(HcsHandle handle, uint32_t options, void* context, HcsEventCallback callback) {
  FakeHostClient& client = FakeHostClient::Get();
  uint64_t id = 0;
  if (callback != nullptr) {
    id = client.RegisterCallback(handle, callback, context);
  } else {
    client.UnregisterCallbacks(handle);
  }
  WireWriter w = RequestFor<kHcsTable, M>();
  w.Put<uint64_t>(reinterpret_cast<uintptr_t>(handle));
  w.Put(options);
  w.Put(id);
  WireReader r = client.Call(w);
  const uint32_t hr = r.Get<uint32_t>();
  if (hr != 0 && id != 0) client.UnregisterCallbacks(handle);
  return hr;
}

uint32_t SetSystemCallback(HcsHandle handle, uint32_t options, const void* context, HcsEventCallback callback) {
  return SetCallback<&HcsApi::set_compute_system_callback>(handle, options, const_cast<void*>(context), callback);
}

uint32_t SetProcessCallback(HcsHandle handle, uint32_t options, void* context, HcsEventCallback callback) {
  return SetCallback<&HcsApi::set_process_callback>(handle, options, context, callback);
}

// No callback of a handle runs once its close returns.
template <auto M>
void CloseWithCallbacks(HcsHandle handle) {
  FakeHostClient::Get().UnregisterCallbacks(handle);
  RemoteEntry<kHcsTable, M>::Call(handle);
}

// --- Host side -------------------------------------------------------------

// What the fake HCS calls back with: where the event goes.
struct Trampoline {
  std::weak_ptr<ClientProcess> process;
  uint64_t id;
};

// The fake may deliver an event after the host stopped serving, so the
// trampolines live as long as the test process.
Trampoline* NewTrampoline(const std::shared_ptr<ClientProcess>& process, uint64_t id) {
  static std::mutex mu;
  static std::deque<Trampoline>* all = new std::deque<Trampoline>();
  std::lock_guard<std::mutex> lock(mu);
  all->push_back(Trampoline{process, id});
  return &all->back();
}

void ForwardEvent(HcsEvent* event, void* context) {
  auto* t = static_cast<Trampoline*>(context);
  std::shared_ptr<ClientProcess> process = t->process.lock();
  if (process == nullptr) return;
  WireWriter w;
  w.Put(t->id);
  w.Put(event->type);
  w.PutWide(event->event_data);
  w.Put<uint64_t>(reinterpret_cast<uintptr_t>(event->operation));
  process->SendEvent(w.bytes());  // a dead process misses it, as it would
}

template <auto M>
HostEntry ServeSetCallback(const HcsApi& api) {
  return [&api](ClientProcess& caller, WireReader& r, WireWriter& w) {
    auto handle = reinterpret_cast<HcsHandle>(static_cast<uintptr_t>(r.Get<uint64_t>()));
    const uint32_t options = r.Get<uint32_t>();
    const uint64_t id = r.Get<uint64_t>();
    if (!r.ok()) return;
    uint32_t hr = 0;
    if (id == 0) {
      hr = (api.*M)(handle, options, nullptr, nullptr);
    } else {
      hr = (api.*M)(handle, options, NewTrampoline(caller.shared_from_this(), id), &ForwardEvent);
    }
    w.Put(hr);
  };
}

}  // namespace

const HcsApi& RemoteHcsApi() {
  static const HcsApi table = [] {
    HcsApi t{};
    t.create_operation = &CreateOperation;
    UseRemote<kHcsTable, &HcsApi::close_operation>(t);
    UseRemote<kHcsTable, &HcsApi::get_operation_result>(t);
    UseRemote<kHcsTable, &HcsApi::get_operation_result_and_process_info>(t);
    UseRemote<kHcsTable, &HcsApi::wait_for_operation_result>(t);
    UseRemote<kHcsTable, &HcsApi::wait_for_operation_result_and_process_info>(t);
    UseRemote<kHcsTable, &HcsApi::cancel_operation>(t);
    UseRemote<kHcsTable, &HcsApi::enumerate_compute_systems>(t);
    UseRemote<kHcsTable, &HcsApi::create_compute_system>(t);
    UseRemote<kHcsTable, &HcsApi::open_compute_system>(t);
    t.close_compute_system = &CloseWithCallbacks<&HcsApi::close_compute_system>;
    UseRemote<kHcsTable, &HcsApi::start_compute_system>(t);
    UseRemote<kHcsTable, &HcsApi::shut_down_compute_system>(t);
    UseRemote<kHcsTable, &HcsApi::terminate_compute_system>(t);
    UseRemote<kHcsTable, &HcsApi::get_compute_system_properties>(t);
    UseRemote<kHcsTable, &HcsApi::modify_compute_system>(t);
    t.set_compute_system_callback = &SetSystemCallback;
    UseRemote<kHcsTable, &HcsApi::create_process>(t);
    UseRemote<kHcsTable, &HcsApi::open_process>(t);
    t.close_process = &CloseWithCallbacks<&HcsApi::close_process>;
    UseRemote<kHcsTable, &HcsApi::terminate_process>(t);
    UseRemote<kHcsTable, &HcsApi::signal_process>(t);
    UseRemote<kHcsTable, &HcsApi::get_process_info>(t);
    UseRemote<kHcsTable, &HcsApi::get_process_properties>(t);
    UseRemote<kHcsTable, &HcsApi::modify_process>(t);
    t.set_process_callback = &SetProcessCallback;
    t.free_string = &FreeOutString;
    UseRemote<kHcsTable, &HcsApi::close_handle>(t);
    UseRemote<kHcsTable, &HcsApi::grant_vm_access>(t);
    UseRemote<kHcsTable, &HcsApi::revoke_vm_access>(t);
    return t;
  }();
  return table;
}

void ServeHcs(HostEntries& entries, const runtime::windows::fake::FakeHcs& fake) {
  const HcsApi& api = fake.api();  // process 0
  entries[{kHcsTable, EntryId<&HcsApi::create_operation>()}] = [&api](ClientProcess&, WireReader&, WireWriter& w) {
    PutResult(w, api.create_operation(nullptr, nullptr));
  };
  Serve<kHcsTable, &HcsApi::close_operation>(entries, api);
  Serve<kHcsTable, &HcsApi::get_operation_result>(entries, api);
  Serve<kHcsTable, &HcsApi::get_operation_result_and_process_info>(entries, api);
  Serve<kHcsTable, &HcsApi::wait_for_operation_result>(entries, api);
  Serve<kHcsTable, &HcsApi::wait_for_operation_result_and_process_info>(entries, api);
  Serve<kHcsTable, &HcsApi::cancel_operation>(entries, api);
  Serve<kHcsTable, &HcsApi::enumerate_compute_systems>(entries, api);
  Serve<kHcsTable, &HcsApi::create_compute_system>(entries, api);
  Serve<kHcsTable, &HcsApi::open_compute_system>(entries, api);
  Serve<kHcsTable, &HcsApi::close_compute_system>(entries, api);
  Serve<kHcsTable, &HcsApi::start_compute_system>(entries, api);
  Serve<kHcsTable, &HcsApi::shut_down_compute_system>(entries, api);
  Serve<kHcsTable, &HcsApi::terminate_compute_system>(entries, api);
  Serve<kHcsTable, &HcsApi::get_compute_system_properties>(entries, api);
  Serve<kHcsTable, &HcsApi::modify_compute_system>(entries, api);
  entries[{kHcsTable, EntryId<&HcsApi::set_compute_system_callback>()}] =
      ServeSetCallback<&HcsApi::set_compute_system_callback>(api);
  Serve<kHcsTable, &HcsApi::create_process>(entries, api);
  Serve<kHcsTable, &HcsApi::open_process>(entries, api);
  Serve<kHcsTable, &HcsApi::close_process>(entries, api);
  Serve<kHcsTable, &HcsApi::terminate_process>(entries, api);
  Serve<kHcsTable, &HcsApi::signal_process>(entries, api);
  Serve<kHcsTable, &HcsApi::get_process_info>(entries, api);
  Serve<kHcsTable, &HcsApi::get_process_properties>(entries, api);
  Serve<kHcsTable, &HcsApi::modify_process>(entries, api);
  entries[{kHcsTable, EntryId<&HcsApi::set_process_callback>()}] = ServeSetCallback<&HcsApi::set_process_callback>(api);
  Serve<kHcsTable, &HcsApi::close_handle>(entries, api);
  Serve<kHcsTable, &HcsApi::grant_vm_access>(entries, api);
  Serve<kHcsTable, &HcsApi::revoke_vm_access>(entries, api);
}

}  // namespace silo::cri::fake_host
