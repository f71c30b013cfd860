#pragma once
// Pod traffic shaping from the annotations kubelet passes through
// unchanged: `kubernetes.io/ingress-bandwidth` and
// `kubernetes.io/egress-bandwidth`, Kubernetes quantities in bits per second
// ("10M", "1Gi", "500k"). containerd and CRI-O read the same two keys and
// hand them to CNI as the `bandwidth` capability; so do we.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace silo::network {

inline constexpr char kIngressBandwidthAnnotation[] = "kubernetes.io/ingress-bandwidth";
inline constexpr char kEgressBandwidthAnnotation[] = "kubernetes.io/egress-bandwidth";

struct Bandwidth {
  std::optional<uint64_t> ingress_bps;  // bits per second into the pod
  std::optional<uint64_t> egress_bps;   // bits per second out of the pod
  bool empty() const { return !ingress_bps && !egress_bps; }
};

// Parses a Kubernetes resource quantity to an integer, rounding a fraction
// up as Quantity.Value() does: decimal SI suffixes (m, k, M, G, T, P, E),
// binary ones (Ki ... Ei) and exponents ("1e6"). InvalidArgument for
// anything else, negative values included.
absl::StatusOr<uint64_t> ParseQuantity(absl::string_view text);

// The pod's limits from its annotations; both absent gives an empty result.
// Kubelet's bounds apply: a limit below 1k or above 1P bit/s is
// InvalidArgument naming the annotation, as is an unparsable value.
absl::StatusOr<Bandwidth> BandwidthFromAnnotations(const std::map<std::string, std::string>& annotations);

}  // namespace silo::network
