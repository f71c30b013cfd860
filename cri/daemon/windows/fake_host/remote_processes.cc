#include "cri/daemon/windows/fake_host/remote_processes.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "cri/daemon/windows/fake_host/last_error.h"
#include "cri/daemon/windows/fake_host/owner_sid_entry.h"

namespace silo::cri::fake_host {

using runtime::windows::hostprocess::JobAccountingSpec;
using runtime::windows::hostprocess::JobLimitsSpec;
using runtime::windows::hostprocess::ProcessApi;

template <>
inline constexpr bool kPlainData<JobLimitsSpec> = true;
template <>
inline constexpr bool kPlainData<JobAccountingSpec> = true;

namespace {

constexpr Table kProcessTable = Table::kProcesses;
// Larger reads or random draws than this are a bug of the caller's.
constexpr uint32_t kMaxBuffer = 1u << 20;

// ReadFile: the size goes, what was read comes back.
int32_t ReadFile(void* handle, void* buffer, uint32_t size, uint32_t* read) {
  WireWriter w = RequestFor<kProcessTable, &ProcessApi::read_file>();
  w.Put<uint64_t>(reinterpret_cast<uintptr_t>(handle));
  w.Put(size);
  WireReader r = FakeHostClient::Get().Call(w);
  const int32_t ok = r.Get<int32_t>();
  const std::string data = r.GetString();
  if (data.size() <= size && buffer != nullptr) std::memcpy(buffer, data.data(), data.size());
  if (read != nullptr) *read = static_cast<uint32_t>(data.size());
  LastErrorEpilogue::Receive(r);
  return ok;
}

HostEntry ServeReadFile(const ProcessApi& api) {
  return [&api](ClientProcess&, WireReader& r, WireWriter& w) {
    auto handle = reinterpret_cast<void*>(static_cast<uintptr_t>(r.Get<uint64_t>()));
    const uint32_t size = r.Get<uint32_t>();
    if (!r.ok() || size > kMaxBuffer) RefuseCall("ReadFile: a bad size");
    std::string data(size, '\0');
    uint32_t read = 0;
    const int32_t ok = api.read_file(handle, data.data(), size, &read);
    data.resize(ok != 0 ? std::min(read, size) : 0);
    w.Put(ok);
    w.PutString(data);
  };
}

// BCryptGenRandom: the size goes, the bytes come back.
uint32_t RandomBytes(void* buffer, uint32_t size) {
  WireWriter w = RequestFor<kProcessTable, &ProcessApi::random_bytes>();
  w.Put(size);
  WireReader r = FakeHostClient::Get().Call(w);
  const uint32_t status = r.Get<uint32_t>();
  const std::string bytes = r.GetString();
  if (status == 0 && bytes.size() == size && buffer != nullptr) std::memcpy(buffer, bytes.data(), size);
  LastErrorEpilogue::Receive(r);
  return status;
}

HostEntry ServeRandomBytes(const ProcessApi& api) {
  return [&api](ClientProcess&, WireReader& r, WireWriter& w) {
    const uint32_t size = r.Get<uint32_t>();
    if (!r.ok() || size > kMaxBuffer) RefuseCall("BCryptGenRandom: a bad size");
    std::string bytes(size, '\0');
    const uint32_t status = api.random_bytes(bytes.data(), size);
    w.Put(status);
    w.PutString(status == 0 ? bytes : std::string());
  };
}

// `after` of CreatePipe: both ends are the caller's.
auto OpensPipe(const ProcessApi& api) {
  return [read_end = OpensHandle<0, &ProcessApi::close_handle, Success::kTrue>(kProcessTable, api),
          write_end = OpensHandle<1, &ProcessApi::close_handle, Success::kTrue>(kProcessTable, api)](
             ClientProcess& caller, const auto& result, const auto& slots) {
    read_end(caller, result, slots);
    write_end(caller, result, slots);
  };
}

}  // namespace

const ProcessApi& RemoteProcessApi() {
  static const ProcessApi table = [] {
    ProcessApi t{};
    t.get_last_error = &RemoteLastError;
    UseRemote<kProcessTable, &ProcessApi::close_handle, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::create_job_object, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::open_job_object, LastErrorEpilogue>(t);
    t.get_job_owner = &OwnerSidEntry<kProcessTable, &ProcessApi::get_job_owner>::Call;
    UseRemote<kProcessTable, &ProcessApi::set_job_limits, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::promote_to_silo, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::bind_path, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::link_directory, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::remove_link, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::terminate_job_object, LastErrorEpilogue>(t);
    // The shim's: what its monitor leaves in a job after the main process.
    UseRefused<&ProcessApi::job_process_ids>(t);
    UseRefused<&ProcessApi::open_process>(t);
    UseRefused<&ProcessApi::is_process_in_job>(t);
    UseRemote<kProcessTable, &ProcessApi::query_job_accounting, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::logon_user, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::open_own_token, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::add_temporary_user, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::delete_user, LastErrorEpilogue>(t);
    t.random_bytes = &RandomBytes;
    // The shim's: the environment block lives in its memory, the process
    // is born with the shim's handles.
    UseRefused<&ProcessApi::create_environment_block>(t);
    UseRefused<&ProcessApi::destroy_environment_block>(t);
    UseRefused<&ProcessApi::create_process>(t);
    UseRefused<&ProcessApi::create_pseudo_console>(t);
    UseRefused<&ProcessApi::resize_pseudo_console>(t);
    UseRefused<&ProcessApi::close_pseudo_console>(t);
    UseRemote<kProcessTable, &ProcessApi::create_pipe, LastErrorEpilogue>(t);
    // The shim's: exec stdin, cancelled copies and pseudo consoles.
    UseRefused<&ProcessApi::create_input_pipe>(t);
    UseRefused<&ProcessApi::write_file>(t);
    t.read_file = &ReadFile;
    UseRefused<&ProcessApi::cancel_io>(t);
    UseRemote<kProcessTable, &ProcessApi::resume_thread, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::terminate_process, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::send_ctrl_event, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::wait_for_single_object, LastErrorEpilogue>(t);
    UseRemote<kProcessTable, &ProcessApi::get_exit_code_process, LastErrorEpilogue>(t);
    return t;
  }();
  return table;
}

void ServeProcesses(HostEntries& entries, const ProcessApi& api) {
  const auto returns_handle = ReturnsHandle<kProcessTable, &ProcessApi::close_handle>(api);
  ServeWithLastError<kProcessTable, &ProcessApi::close_handle>(entries, api, ClosesHandle<0>(kProcessTable));
  ServeWithLastError<kProcessTable, &ProcessApi::create_job_object>(entries, api, returns_handle);
  ServeWithLastError<kProcessTable, &ProcessApi::open_job_object>(entries, api, returns_handle);
  OwnerSidEntry<kProcessTable, &ProcessApi::get_job_owner>::Serve(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::set_job_limits>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::promote_to_silo>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::bind_path>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::link_directory>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::remove_link>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::terminate_job_object>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::query_job_accounting>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::logon_user>(
      entries, api, OpensHandle<4, &ProcessApi::close_handle, Success::kTrue>(kProcessTable, api));
  ServeWithLastError<kProcessTable, &ProcessApi::open_own_token>(
      entries, api, OpensHandle<0, &ProcessApi::close_handle, Success::kTrue>(kProcessTable, api));
  ServeWithLastError<kProcessTable, &ProcessApi::add_temporary_user>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::delete_user>(entries, api);
  entries[{kProcessTable, EntryId<&ProcessApi::random_bytes>()}] = WithLastError(ServeRandomBytes(api), api);
  ServeWithLastError<kProcessTable, &ProcessApi::create_pipe>(entries, api, OpensPipe(api));
  entries[{kProcessTable, EntryId<&ProcessApi::read_file>()}] = WithLastError(ServeReadFile(api), api);
  ServeWithLastError<kProcessTable, &ProcessApi::resume_thread>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::terminate_process>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::send_ctrl_event>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::wait_for_single_object>(entries, api);
  ServeWithLastError<kProcessTable, &ProcessApi::get_exit_code_process>(entries, api);
}

}  // namespace silo::cri::fake_host
