#include "cri/daemon/windows/fake_host/remote_shim_port.h"

#include <limits>

namespace silo::cri::fake_host {

namespace rs = runtime::windows::shim;

namespace {

constexpr Table kShimTable = Table::kShims;
constexpr uint32_t kLaunch = 1;
constexpr uint32_t kCall = 2;
// Not a time left: an expired deadline sends a small negative one.
constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::min();

WireWriter ShimRequest(uint32_t entry) {
  WireWriter w;
  w.Put(kShimTable);
  w.Put(entry);
  return w;
}

// The time left in ms; kNoDeadline for none (Deadline::max(), which a
// duration from now cannot carry).
void PutDeadline(WireWriter& w, rs::ShimPort::Deadline deadline) {
  if (deadline == rs::ShimPort::Deadline::max()) {
    w.Put<int64_t>(kNoDeadline);
    return;
  }
  w.Put<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                     .count());
}

rs::ShimPort::Deadline GetDeadline(WireReader& r) {
  const int64_t left_ms = r.Get<int64_t>();
  if (left_ms == kNoDeadline) return rs::ShimPort::Deadline::max();
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(left_ms);
}

void PutStatus(WireWriter& w, const win32::HrStatus& s) {
  w.Put(s.hr());
  w.PutString(s.message());
}

win32::HrStatus GetStatus(WireReader& r) {
  const uint32_t hr = r.Get<uint32_t>();
  std::string message = r.GetString();
  return hr == 0 ? win32::HrStatus::Ok() : win32::HrStatus(hr, std::move(message));
}

}  // namespace

win32::HrStatus RemoteShimPort::Launch(const rs::ShimLaunch& launch, Deadline deadline) {
  WireWriter w = ShimRequest(kLaunch);
  for (const std::string* s : {&launch.id, &launch.document_path, &launch.process_path, &launch.log_path,
                               &launch.exit_path, &launch.diagnostics_path, &launch.hostprocess_path}) {
    w.PutString(*s);
  }
  w.Put(launch.open_stdin);
  PutDeadline(w, deadline);
  WireReader r = FakeHostClient::Get().Call(w);
  return GetStatus(r);
}

win32::Result<runtime::shim::Response> RemoteShimPort::Call(const std::string& id,
                                                            const runtime::shim::Request& request,
                                                            Deadline deadline) {
  WireWriter w = ShimRequest(kCall);
  w.PutString(id);
  w.PutString(runtime::shim::EncodeRequest(request));
  PutDeadline(w, deadline);
  WireReader r = FakeHostClient::Get().Call(w);
  win32::HrStatus status = GetStatus(r);
  if (!status.ok()) return status;
  runtime::shim::Response response;
  std::string error;
  if (!runtime::shim::DecodeResponseJson(r.GetString(), &response, &error)) {
    return win32::HrStatus(0x8000FFFF, "the fake host's shim answer does not decode: " + error);  // E_UNEXPECTED
  }
  return response;
}

win32::Result<rs::ShimSession> RemoteShimPort::OpenSession(const std::string& id, const runtime::shim::Request&,
                                                          Deadline) {
  return win32::HrStatus(0x80004001,  // E_NOTIMPL
                         "the fake host does not relay exec/attach sessions (container " + id + ")");
}

void ServeShims(HostEntries& entries, std::shared_ptr<rs::ShimPort> shims) {
  entries[{kShimTable, kLaunch}] = [shims](ClientProcess&, WireReader& r, WireWriter& w) {
    rs::ShimLaunch launch;
    for (std::string* s : {&launch.id, &launch.document_path, &launch.process_path, &launch.log_path,
                           &launch.exit_path, &launch.diagnostics_path, &launch.hostprocess_path}) {
      *s = r.GetString();
    }
    launch.open_stdin = r.Get<bool>();
    const rs::ShimPort::Deadline deadline = GetDeadline(r);
    if (!r.ok()) return;
    PutStatus(w, shims->Launch(launch, deadline));
  };
  entries[{kShimTable, kCall}] = [shims](ClientProcess&, WireReader& r, WireWriter& w) {
    const std::string id = r.GetString();
    const std::string encoded = r.GetString();
    const rs::ShimPort::Deadline deadline = GetDeadline(r);
    if (!r.ok()) return;
    runtime::shim::Request request;
    std::string error;
    if (!runtime::shim::DecodeRequestJson(encoded, &request, &error)) RefuseCall(("a shim request: " + error).c_str());
    win32::Result<runtime::shim::Response> response = shims->Call(id, request, deadline);
    PutStatus(w, response.status());
    if (response.ok()) w.PutString(runtime::shim::EncodeResponse(*response));
  };
}

}  // namespace silo::cri::fake_host
