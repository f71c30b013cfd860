#pragma once
// The validated parameters of one Exec/Attach/PortForward call, parked under
// a token until the client connects to the URL. Plain data, decoupled from
// the CRI protobufs so this module builds without them; silod copies the
// fields over from ::runtime::v1::ExecRequest and friends.

#include <cstdint>
#include <string>
#include <vector>

namespace silo::cri::streaming {

enum class RequestKind { kExec, kAttach, kPortForward };

struct StreamRequest {
  RequestKind kind = RequestKind::kExec;
  std::string container_id;          // exec, attach
  std::vector<std::string> cmd;      // exec
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
  std::string pod_sandbox_id;        // port-forward
  std::vector<int32_t> ports;        // port-forward (informational; SPDY names the port per stream)
};

}  // namespace silo::cri::streaming
