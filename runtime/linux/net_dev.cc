#include "runtime/linux/net_dev.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace silo::runtime::linux_backend {

absl::StatusOr<std::vector<InterfaceCounters>> ParseNetDev(absl::string_view text) {
  std::vector<InterfaceCounters> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    size_t colon = line.find(':');
    // The two header lines have '|' and no ':'.
    if (colon == absl::string_view::npos) continue;
    std::string name(absl::StripAsciiWhitespace(line.substr(0, colon)));
    if (name == "lo") continue;
    std::vector<absl::string_view> f =
        absl::StrSplit(line.substr(colon + 1), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs drop ...
    uint64_t v[12];
    if (f.size() < 12) return absl::InvalidArgumentError(absl::StrCat("net/dev: short row \"", line, "\""));
    for (int i = 0; i < 12; ++i) {
      if (!absl::SimpleAtoi(f[i], &v[i])) {
        return absl::InvalidArgumentError(absl::StrCat("net/dev: bad number in \"", line, "\""));
      }
    }
    InterfaceCounters c;
    c.name = std::move(name);
    c.rx_bytes = v[0];
    c.rx_errors = v[2];
    c.rx_dropped = v[3];
    c.tx_bytes = v[8];
    c.tx_errors = v[10];
    c.tx_dropped = v[11];
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace silo::runtime::linux_backend
