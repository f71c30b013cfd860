#include "runtime/container/stop_signal.h"

#include <cctype>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/container/signals.h"

namespace silo::runtime::container {
namespace {

namespace sig = signals;

constexpr std::pair<const char*, int> kSignals[] = {
    {"HUP", sig::kHup},       {"INT", sig::kInt},       {"QUIT", sig::kQuit},     {"ILL", sig::kIll},
    {"TRAP", sig::kTrap},     {"ABRT", sig::kAbrt},     {"IOT", sig::kAbrt},      {"BUS", sig::kBus},
    {"FPE", sig::kFpe},       {"KILL", sig::kKill},     {"USR1", sig::kUsr1},     {"SEGV", sig::kSegv},
    {"USR2", sig::kUsr2},     {"PIPE", sig::kPipe},     {"ALRM", sig::kAlrm},     {"TERM", sig::kTerm},
    {"STKFLT", sig::kStkflt}, {"CHLD", sig::kChld},     {"CONT", sig::kCont},     {"STOP", sig::kStop},
    {"TSTP", sig::kTstp},     {"TTIN", sig::kTtin},     {"TTOU", sig::kTtou},     {"URG", sig::kUrg},
    {"XCPU", sig::kXcpu},     {"XFSZ", sig::kXfsz},     {"VTALRM", sig::kVtalrm}, {"PROF", sig::kProf},
    {"WINCH", sig::kWinch},   {"IO", sig::kIo},         {"POLL", sig::kIo},       {"PWR", sig::kPwr},
    {"SYS", sig::kSys},
};

absl::StatusOr<int> Invalid(const std::string& text) {
  return absl::InvalidArgumentError(absl::StrCat("unknown stop signal \"", text, "\""));
}

}  // namespace

absl::StatusOr<int> ParseStopSignal(const std::string& text) {
  if (text.empty()) return sig::kTerm;
  int number = 0;
  if (absl::SimpleAtoi(text, &number)) {
    if (number < 1 || number > sig::kRtMax) return Invalid(text);
    return number;
  }
  std::string name;
  for (char c : text) name.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (absl::StartsWith(name, "SIG")) name = name.substr(3);
  for (const auto& [n, value] : kSignals) {
    if (name == n) return value;
  }
  // Real-time signals: RTMIN, RTMIN+n, RTMAX, RTMAX-n.
  for (const char* base : {"RTMIN", "RTMAX"}) {
    if (!absl::StartsWith(name, base)) continue;
    const bool min = base[3] == 'I';
    std::string rest = name.substr(5);
    int offset = 0;
    if (!rest.empty()) {
      if (rest[0] != (min ? '+' : '-') || !absl::SimpleAtoi(rest.substr(1), &offset) || offset < 0) {
        return Invalid(text);
      }
    }
    int value = min ? sig::kRtMin + offset : sig::kRtMax - offset;
    if (value < sig::kRtMin || value > sig::kRtMax) return Invalid(text);
    return value;
  }
  return Invalid(text);
}

}  // namespace silo::runtime::container
