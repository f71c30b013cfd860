#include "runtime/windows/hypervisor/uvm_options.h"

#include <cstdint>
#include <functional>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/windows/hypervisor/modify_request.h"

namespace silo::runtime::windows::hypervisor {
namespace {

constexpr char kPrefix[] = "io.microsoft.virtualmachine.";

absl::Status Bad(const std::string& key, const std::string& value, const char* expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("annotation ", key, "=\"", value, "\": expected ", expected));
}

// strconv.ParseBool's spellings.
absl::Status ParseBool(const std::string& key, const std::string& value, bool* out) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (value == t) {
      *out = true;
      return absl::OkStatus();
    }
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (value == f) {
      *out = false;
      return absl::OkStatus();
    }
  }
  return Bad(key, value, "a boolean (true or false)");
}

// Unsigned decimal in [min, max]; no sign, no spaces.
absl::Status ParseRange(const std::string& key, const std::string& value, uint64_t min, uint64_t max,
                        uint64_t* out) {
  uint64_t v = 0;
  const bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || !absl::SimpleAtoi(value, &v) || v < min || v > max) {
    return Bad(key, value, absl::StrCat("an integer from ", min, " to ", max).c_str());
  }
  *out = v;
  return absl::OkStatus();
}

template <typename Int>
absl::Status ParseInt(const std::string& key, const std::string& value, uint64_t min, uint64_t max, Int* out) {
  uint64_t v = 0;
  absl::Status s = ParseRange(key, value, min, max, &v);
  if (s.ok()) *out = static_cast<Int>(v);
  return s;
}

using Setter = std::function<absl::Status(const std::string& key, const std::string& value, UvmOptions& o)>;

const std::map<std::string, Setter>& Setters() {
  constexpr uint64_t kU64 = std::numeric_limits<uint64_t>::max();
  constexpr uint64_t kI32 = std::numeric_limits<int32_t>::max();
  constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();
  static const auto* setters = new std::map<std::string, Setter>{
      {annotation::kMemorySizeInMb,
       [=](auto& k, auto& v, UvmOptions& o) { return ParseInt(k, v, 1, kU64 / 2, &o.memory_size_in_mb); }},
      {annotation::kAllowOvercommit, [](auto& k, auto& v, UvmOptions& o) { return ParseBool(k, v, &o.allow_overcommit); }},
      {annotation::kEnableDeferredCommit,
       [](auto& k, auto& v, UvmOptions& o) { return ParseBool(k, v, &o.enable_deferred_commit); }},
      {annotation::kLowMmioGapInMb,
       [=](auto& k, auto& v, UvmOptions& o) { return ParseInt(k, v, 0, kU64, &o.low_mmio_gap_in_mb); }},
      {annotation::kHighMmioBaseInMb,
       [=](auto& k, auto& v, UvmOptions& o) { return ParseInt(k, v, 0, kU64, &o.high_mmio_base_in_mb); }},
      {annotation::kHighMmioGapInMb,
       [=](auto& k, auto& v, UvmOptions& o) { return ParseInt(k, v, 0, kU64, &o.high_mmio_gap_in_mb); }},
      {annotation::kFullyPhysicallyBacked,
       [](auto& k, auto& v, UvmOptions& o) { return ParseBool(k, v, &o.fully_physically_backed); }},
      {annotation::kProcessorCount,
       [=](auto& k, auto& v, UvmOptions& o) { return ParseInt(k, v, 1, kU32, &o.processor_count); }},
      {annotation::kProcessorLimit,
       [](auto& k, auto& v, UvmOptions& o) { return ParseInt(k, v, 1, 100000, &o.processor_limit); }},
      {annotation::kProcessorWeight,
       [](auto& k, auto& v, UvmOptions& o) { return ParseInt(k, v, 0, 10000, &o.processor_weight); }},
      {annotation::kCpuGroupId,
       [](auto& k, auto& v, UvmOptions& o) {
         if (!IsGuidString(v)) return Bad(k, v, "a CPU group GUID");
         o.cpu_group_id = v;
         return absl::OkStatus();
       }},
      {annotation::kStorageQosBandwidthMaximum,
       [=](auto& k, auto& v, UvmOptions& o) { return ParseInt(k, v, 0, kI32, &o.storage_qos_bandwidth_maximum); }},
      {annotation::kStorageQosIopsMaximum,
       [=](auto& k, auto& v, UvmOptions& o) { return ParseInt(k, v, 0, kI32, &o.storage_qos_iops_maximum); }},
      {annotation::kDisableCompartmentNamespace,
       [](auto& k, auto& v, UvmOptions& o) { return ParseBool(k, v, &o.disable_compartment_namespace); }},
      {annotation::kVsmbNoDirectMap, [](auto& k, auto& v, UvmOptions& o) { return ParseBool(k, v, &o.vsmb_no_direct_map); }},
  };
  return *setters;
}

}  // namespace

absl::StatusOr<UvmOptions> ApplyUvmAnnotations(const UvmOptions& defaults,
                                               const std::map<std::string, std::string>& annotations) {
  UvmOptions o = defaults;
  for (const auto& [key, value] : annotations) {
    if (!absl::StartsWith(key, kPrefix)) continue;
    auto it = Setters().find(key);
    if (it == Setters().end()) {
      // vNUMA, confidential WCOW, kernel drivers, log forwarding, LCOW keys:
      // refusing is better than booting a VM without what the pod asked for.
      return absl::UnimplementedError(
          absl::StrCat("annotation ", key, " is not supported by the hypervisor runtime handler"));
    }
    absl::Status s = it->second(key, value, o);
    if (!s.ok()) return s;
  }
  // hcsshim handleAnnotationFullyPhysicallyBacked: physical backing excludes overcommit.
  if (o.fully_physically_backed) o.allow_overcommit = false;
  return o;
}

}  // namespace silo::runtime::windows::hypervisor
