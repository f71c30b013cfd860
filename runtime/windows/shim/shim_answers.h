#pragma once
// silod's reading of its Windows shims' answers, shared by the container
// hosts that talk to silo-shim.exe (HCS and HostProcess): one request per
// op, whether a failed call means the shim is gone, and a state or wait
// response as a ProcessState. Header-only; thread-safe (no state).

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/container/container_host.h"
#include "runtime/shim/core/protocol_codec.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/shim/shim_port.h"

namespace silo::runtime::windows::shim {

inline runtime::shim::Request ShimRequest(runtime::shim::Op op) {
  runtime::shim::Request r;
  r.op = op;
  return r;
}

// No shim serves the container's pipe: it exited or was killed.
inline bool IsShimGone(const win32::HrStatus& s) { return codes::Normalize(s.hr()) == codes::Normalize(kHrShimGone); }

// A shim that could not be reached.
inline absl::Status ShimTransportStatus(const std::string& what, const win32::HrStatus& s) {
  if (IsShimGone(s)) return absl::UnavailableError(absl::StrCat(what, ": the container's silo-shim is gone"));
  return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
}

inline container::ProcessState ProcessStateFromShim(const runtime::shim::Response& r) {
  container::ProcessState st;
  st.pid = r.pid;
  // Killed before it started, a container is stopped without a pid.
  st.started = r.state == "running" || (r.state == "stopped" && r.pid != 0);
  st.exited = r.exited;
  st.exit_code = r.exit_code;
  st.exited_at_ns = r.exited_at_unix_nanos;
  return st;
}

}  // namespace silo::runtime::windows::shim
