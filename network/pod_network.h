#pragma once
// network::PodNetwork: the port for pod networking (HCN namespaces and CNI on
// Windows, pinned netns and CNI on Linux).
//
// Attach puts a pod on the network (CNI ADD) in a namespace the sandbox owner
// already made; Detach takes it off (CNI DEL). Both are keyed by the sandbox
// id, so recovery can detach a half-made pod knowing only its id and netns.
// Detach is idempotent: detaching a pod that is not attached, or whose
// namespace is gone, is OK. Implementations are thread-safe across pods;
// calls for one pod are serialised by the sandbox owner.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "network/bandwidth.h"

namespace silo::network {

struct PortMapping {
  std::string protocol = "tcp";  // "tcp", "udp", "sctp"
  int container_port = 0;
  int host_port = 0;
  std::string host_ip;  // empty: all addresses
};

struct DnsSettings {
  std::vector<std::string> servers;
  std::vector<std::string> searches;
  std::vector<std::string> options;
};

struct AttachRequest {
  std::string sandbox_id;
  std::string netns;  // netns path (Linux) or namespace GUID (Windows)
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_uid;
  std::vector<PortMapping> port_mappings;
  DnsSettings dns;
  Bandwidth bandwidth;  // from the pod's annotations; empty = unshaped
};

struct Attachment {
  std::string ip;                           // primary pod IP ("" if none)
  std::vector<std::string> additional_ips;  // e.g. the other family
  std::string result_json = {};             // the plugin chain's result document, as returned ("" if none)
};

class PodNetwork {
 public:
  virtual ~PodNetwork() = default;

  // OK when pods can be networked; otherwise the reason, reported by the
  // Status RPC as NetworkReady=false. Cheap: kubelet polls it.
  virtual absl::Status Ready() const = 0;

  virtual absl::StatusOr<Attachment> Attach(const AttachRequest& request) {
    return absl::UnimplementedError("pod network attach is not supported by this network");
  }
  virtual absl::Status Detach(const AttachRequest& request) {
    return absl::UnimplementedError("pod network detach is not supported by this network");
  }
};

}  // namespace silo::network
