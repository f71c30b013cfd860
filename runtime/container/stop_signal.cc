#include "runtime/container/stop_signal.h"

#include <signal.h>

#include <cctype>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace silo::runtime::container {
namespace {

constexpr std::pair<const char*, int> kSignals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},       {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},   {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},       {"KILL", SIGKILL},
    {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},
    {"TERM", SIGTERM},   {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},       {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},   {"IO", SIGIO},
    {"POLL", SIGPOLL},   {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

absl::StatusOr<int> Invalid(const std::string& text) {
  return absl::InvalidArgumentError(absl::StrCat("unknown stop signal \"", text, "\""));
}

}  // namespace

absl::StatusOr<int> ParseStopSignal(const std::string& text) {
  if (text.empty()) return SIGTERM;
  int number = 0;
  if (absl::SimpleAtoi(text, &number)) {
    if (number < 1 || number > SIGRTMAX) return Invalid(text);
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
    int value = min ? SIGRTMIN + offset : SIGRTMAX - offset;
    if (value < SIGRTMIN || value > SIGRTMAX) return Invalid(text);
    return value;
  }
  return Invalid(text);
}

}  // namespace silo::runtime::container
