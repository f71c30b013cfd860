#include "network/bandwidth.h"

#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace silo::network {
namespace {

absl::Status BadQuantity(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("quantity \"", text, "\" ", why));
}

// Multiplier of a suffix as a power of two or ten: {base, exponent}.
struct Scale {
  int base = 10;
  int exponent = 0;
};

std::optional<Scale> SuffixScale(absl::string_view s) {
  if (s.empty()) return Scale{10, 0};
  if (s == "m") return Scale{10, -3};
  if (s == "k") return Scale{10, 3};
  if (s == "M") return Scale{10, 6};
  if (s == "G") return Scale{10, 9};
  if (s == "T") return Scale{10, 12};
  if (s == "P") return Scale{10, 15};
  if (s == "E") return Scale{10, 18};
  if (s == "Ki") return Scale{2, 10};
  if (s == "Mi") return Scale{2, 20};
  if (s == "Gi") return Scale{2, 30};
  if (s == "Ti") return Scale{2, 40};
  if (s == "Pi") return Scale{2, 50};
  if (s == "Ei") return Scale{2, 60};
  return std::nullopt;
}

}  // namespace

absl::StatusOr<uint64_t> ParseQuantity(absl::string_view text) {
  absl::string_view s = text;
  if (s.empty()) return BadQuantity(text, "is empty");
  if (s.front() == '+') s.remove_prefix(1);
  if (!s.empty() && s.front() == '-') return BadQuantity(text, "is negative");
  // Digits with at most one decimal point.
  size_t i = 0;
  bool dot = false;
  std::string mantissa;
  while (i < s.size() && (absl::ascii_isdigit(static_cast<unsigned char>(s[i])) || (s[i] == '.' && !dot))) {
    dot = dot || s[i] == '.';
    mantissa.push_back(s[i]);
    ++i;
  }
  if (mantissa.empty() || mantissa == ".") return BadQuantity(text, "has no number");
  absl::string_view rest = s.substr(i);
  Scale scale;
  if (!rest.empty() && (rest.front() == 'e' || rest.front() == 'E') && rest.size() > 1) {
    // An exponent: "1e3", "2E-2". A lone "E" is the exa suffix instead.
    absl::string_view exp = rest.substr(1);
    bool negative = false;
    if (exp.front() == '+' || exp.front() == '-') {
      negative = exp.front() == '-';
      exp.remove_prefix(1);
    }
    if (exp.empty() || exp.size() > 3) return BadQuantity(text, "has a bad exponent");
    int e = 0;
    for (char c : exp) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return BadQuantity(text, "has a bad exponent");
      e = e * 10 + (c - '0');
    }
    scale = Scale{10, negative ? -e : e};
  } else {
    std::optional<Scale> sc = SuffixScale(rest);
    if (!sc) return BadQuantity(text, absl::StrCat("has an unknown suffix \"", rest, "\""));
    scale = *sc;
  }
  // Exact integer arithmetic: value = digits * base^exponent / 10^fraction,
  // rounded up like Quantity.Value().
  using u128 = unsigned __int128;
  constexpr u128 kLimit = static_cast<u128>(std::numeric_limits<uint64_t>::max());
  u128 digits = 0;
  int fraction = 0;
  bool after_dot = false;
  for (char c : mantissa) {
    if (c == '.') {
      after_dot = true;
      continue;
    }
    if (digits > kLimit) return BadQuantity(text, "is too large");
    digits = digits * 10 + static_cast<u128>(c - '0');
    if (after_dot) ++fraction;
  }
  u128 numerator = digits;
  u128 denominator = 1;
  int exponent = scale.exponent;
  if (scale.base == 10) {
    exponent -= fraction;
  } else {
    for (int k = 0; k < fraction; ++k) denominator *= 10;
  }
  for (int k = 0; k < std::abs(exponent); ++k) {
    u128& side = exponent > 0 ? numerator : denominator;
    side *= static_cast<u128>(scale.base);
    if (side > kLimit * 1000) {
      if (exponent > 0) return BadQuantity(text, "is too large");
      return uint64_t{numerator == 0 ? 0u : 1u};  // a tiny positive fraction rounds up to 1
    }
  }
  u128 value = (numerator + denominator - 1) / denominator;
  if (value > kLimit) return BadQuantity(text, "is too large");
  return static_cast<uint64_t>(value);
}

absl::StatusOr<Bandwidth> BandwidthFromAnnotations(const std::map<std::string, std::string>& annotations) {
  constexpr uint64_t kMin = 1000;                 // 1k
  constexpr uint64_t kMax = 1000000000000000ULL;  // 1P
  Bandwidth b;
  for (const char* key : {kIngressBandwidthAnnotation, kEgressBandwidthAnnotation}) {
    auto it = annotations.find(key);
    if (it == annotations.end()) continue;
    absl::StatusOr<uint64_t> v = ParseQuantity(it->second);
    if (!v.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("annotation ", key, ": ", v.status().message()));
    }
    if (*v < kMin || *v > kMax) {
      return absl::InvalidArgumentError(absl::StrCat("annotation ", key, ": \"", it->second,
                                                     "\" is outside 1k..1P bits per second"));
    }
    (std::string(key) == kIngressBandwidthAnnotation ? b.ingress_bps : b.egress_bps) = *v;
  }
  return b;
}

}  // namespace silo::network
