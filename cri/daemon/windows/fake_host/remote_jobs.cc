#include "cri/daemon/windows/fake_host/remote_jobs.h"

#include <algorithm>

#include "cri/daemon/windows/fake_host/last_error.h"
#include "cri/daemon/windows/fake_host/owner_sid_entry.h"

namespace silo::cri::fake_host {

using runtime::windows::jobobject::JobApi;
using runtime::windows::jobobject::NtObjectAttributes;
using runtime::windows::jobobject::NtUnicodeString;

namespace {

constexpr Table kJobTable = Table::kJobs;

// The object attributes: a name relative to a root handle; no security
// descriptor or quality of service crosses (silod passes none).
int32_t NtOpenJobObject(void** job, uint32_t access, const NtObjectAttributes* attributes) {
  if (attributes == nullptr || attributes->security_descriptor != nullptr ||
      attributes->security_quality_of_service != nullptr) {
    RefuseCall("NtOpenJobObject: only a name and a root cross to the fake host");
  }
  WireWriter w = RequestFor<kJobTable, &JobApi::nt_open_job_object>();
  w.Put(access);
  w.Put(attributes->length);
  w.Put<uint64_t>(reinterpret_cast<uintptr_t>(attributes->root_directory));
  w.Put(attributes->attributes);
  const NtUnicodeString* name = attributes->object_name;
  w.Put<uint8_t>(name != nullptr);
  if (name != nullptr) {
    w.Put(name->maximum_length);
    w.PutBytes(name->buffer, name->buffer == nullptr ? 0 : name->length);
  }
  WireReader r = FakeHostClient::Get().Call(w);
  const int32_t status = r.Get<int32_t>();
  const auto out = reinterpret_cast<void*>(static_cast<uintptr_t>(r.Get<uint64_t>()));
  if (job != nullptr) *job = out;
  LastErrorEpilogue::Receive(r);
  return status;
}

HostEntry ServeNtOpenJobObject(const JobApi& api) {
  return [&api](ClientProcess& caller, WireReader& r, WireWriter& w) {
    const uint32_t access = r.Get<uint32_t>();
    NtObjectAttributes attributes{};
    attributes.length = r.Get<uint32_t>();
    attributes.root_directory = reinterpret_cast<void*>(static_cast<uintptr_t>(r.Get<uint64_t>()));
    attributes.attributes = r.Get<uint32_t>();
    NtUnicodeString name{};
    std::string bytes;
    if (r.Get<uint8_t>() != 0) {
      name.maximum_length = r.Get<uint16_t>();
      bytes = r.GetString();
      name.length = static_cast<uint16_t>(std::min<size_t>(bytes.size(), 0xFFFF));
      // The buffer holds at least maximum_length bytes, as the caller's did.
      bytes.resize(std::max<size_t>(bytes.size(), name.maximum_length) + sizeof(wchar_t), '\0');
      name.buffer = reinterpret_cast<const wchar_t*>(bytes.data());
      attributes.object_name = &name;
    }
    if (!r.ok()) return;
    void* job = nullptr;
    const int32_t status = api.nt_open_job_object(&job, access, &attributes);
    w.Put(status);
    w.Put<uint64_t>(reinterpret_cast<uintptr_t>(job));
    if (status == 0 && job != nullptr) caller.Track(kJobTable, job, [&api, job] { api.close_handle(job); });
  };
}

}  // namespace

const JobApi& RemoteJobApi() {
  static const JobApi table = [] {
    JobApi t{};
    UseRemote<kJobTable, &JobApi::open_job_object, LastErrorEpilogue>(t);
    t.get_last_error = &RemoteLastError;
    t.nt_open_job_object = &NtOpenJobObject;
    UseRemote<kJobTable, &JobApi::rtl_nt_status_to_dos_error, LastErrorEpilogue>(t);
    UseRemote<kJobTable, &JobApi::close_handle, LastErrorEpilogue>(t);
    UseRemote<kJobTable, &JobApi::create_job_object, LastErrorEpilogue>(t);
    t.get_job_owner = &OwnerSidEntry<kJobTable, &JobApi::get_job_owner>::Call;
    UseRemote<kJobTable, &JobApi::duplicate_job_handle, LastErrorEpilogue>(t);
    UseRemote<kJobTable, &JobApi::terminate_job_object, LastErrorEpilogue>(t);
    return t;
  }();
  return table;
}

void ServeJobs(HostEntries& entries, const JobApi& api) {
  const auto returns_job = ReturnsHandle<kJobTable, &JobApi::close_handle>(api);
  ServeWithLastError<kJobTable, &JobApi::open_job_object>(entries, api, returns_job);
  entries[{kJobTable, EntryId<&JobApi::nt_open_job_object>()}] = WithLastError(ServeNtOpenJobObject(api), api);
  ServeWithLastError<kJobTable, &JobApi::rtl_nt_status_to_dos_error>(entries, api);
  ServeWithLastError<kJobTable, &JobApi::close_handle>(entries, api, ClosesHandle<0>(kJobTable));
  ServeWithLastError<kJobTable, &JobApi::create_job_object>(entries, api, returns_job);
  OwnerSidEntry<kJobTable, &JobApi::get_job_owner>::Serve(entries, api);
  ServeWithLastError<kJobTable, &JobApi::duplicate_job_handle>(entries, api);
  ServeWithLastError<kJobTable, &JobApi::terminate_job_object>(entries, api);
}

}  // namespace silo::cri::fake_host
