#include "cri/daemon/windows/fake_host/remote_read_job.h"

#include <optional>

namespace silo::cri::fake_host {

namespace {

constexpr Table kReadJobTable = Table::kReadJob;
constexpr uint32_t kRead = 1;

template <class T>
void PutOptional(WireWriter& w, const std::optional<T>& v) {
  w.Put<uint8_t>(v.has_value());
  if (v) w.Put(*v);
}

template <class T>
std::optional<T> GetOptional(WireReader& r) {
  if (r.Get<uint8_t>() == 0) return std::nullopt;
  return r.Get<T>();
}

}  // namespace

ReadJob RemoteReadJob() {
  return [](const std::string& job) -> absl::StatusOr<runtime::stats::GroupCounters> {
    WireWriter w;
    w.Put(kReadJobTable);
    w.Put(kRead);
    w.PutString(job);
    WireReader r = FakeHostClient::Get().Call(w);
    const auto code = static_cast<absl::StatusCode>(r.Get<int32_t>());
    std::string message = r.GetString();
    if (code != absl::StatusCode::kOk) return absl::Status(code, message);
    runtime::stats::GroupCounters c;
    c.cpu_usage_ns = GetOptional<uint64_t>(r);
    c.memory = GetOptional<runtime::stats::MemoryCounters>(r);
    c.process_count = GetOptional<uint64_t>(r);
    return c;
  };
}

void ServeReadJob(HostEntries& entries, ReadJob read_job) {
  entries[{kReadJobTable, kRead}] = [read_job](ClientProcess&, WireReader& r, WireWriter& w) {
    const std::string job = r.GetString();
    absl::StatusOr<runtime::stats::GroupCounters> c = read_job(job);
    w.Put<int32_t>(static_cast<int32_t>(c.status().code()));
    w.PutString(std::string(c.status().message()));
    if (!c.ok()) return;
    PutOptional(w, c->cpu_usage_ns);
    PutOptional(w, c->memory);
    PutOptional(w, c->process_count);
  };
}

}  // namespace silo::cri::fake_host
