#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cri/server/service.h"
#include "spdlog/spdlog.h"

namespace silo::cri {
namespace {

// Accepts IPv4 or IPv6 CIDRs, possibly dual-stack "a/b,c/d" as kubelet sends them.
absl::Status ValidateCidrs(const std::string& value) {
  for (absl::string_view cidr : absl::StrSplit(value, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(cidr, '/');
    int bits = 0;
    bool v6 = cidr.find(':') != absl::string_view::npos;
    if (parts.size() != 2 || parts[0].empty() || !absl::SimpleAtoi(parts[1], &bits) || bits < 0 ||
        bits > (v6 ? 128 : 32)) {
      return absl::InvalidArgumentError(absl::StrCat("pod_cidr \"", cidr, "\" is not a CIDR"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Service::UpdateRuntimeConfig(const ::runtime::v1::UpdateRuntimeConfigRequest& request,
                                          ::runtime::v1::UpdateRuntimeConfigResponse* response) {
  const std::string& cidr = request.runtime_config().network_config().pod_cidr();
  if (cidr.empty()) return absl::OkStatus();  // kubelet sends empty updates; nothing to do
  if (absl::Status s = ValidateCidrs(cidr); !s.ok()) return s;
  silo::MutexLock lock(&mu_);
  if (pod_cidr_ != cidr) spdlog::info("pod CIDR set to {}", cidr);
  pod_cidr_ = cidr;
  return absl::OkStatus();
}

std::string Service::pod_cidr() const {
  silo::MutexLock lock(&mu_);
  return pod_cidr_;
}

}  // namespace silo::cri
