#include "runtime/base/failpoint.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "spdlog/spdlog.h"

namespace silo::failpoint {
namespace {

// "error" or "hang(MS)", without the "@N" suffix.
absl::StatusOr<Action> ParseAction(absl::string_view text) {
  Action action;
  if (text == "error") return action;
  absl::string_view ms = text;
  if (absl::ConsumePrefix(&ms, "hang(") && absl::ConsumeSuffix(&ms, ")") && absl::SimpleAtoi(ms, &action.hang_ms) &&
      action.hang_ms >= 0) {
    action.kind = Action::Kind::kHang;
    return action;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown failpoint action \"", text, "\" (want error or hang(MS))"));
}

}  // namespace

absl::StatusOr<std::map<std::string, Action>> ParseSpec(absl::string_view spec) {
  std::map<std::string, Action> out;
  for (absl::string_view entry : absl::StrSplit(spec, ';', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    absl::string_view name = absl::StripAsciiWhitespace(kv.first);
    absl::string_view rest = absl::StripAsciiWhitespace(kv.second);
    if (name.empty() || rest.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("failpoint entry \"", entry, "\": want name=action"));
    }
    int nth = 0;
    if (size_t at = rest.rfind('@'); at != absl::string_view::npos) {
      if (!absl::SimpleAtoi(rest.substr(at + 1), &nth) || nth < 1) {
        return absl::InvalidArgumentError(absl::StrCat("failpoint entry \"", entry, "\": @N needs N >= 1"));
      }
      rest = rest.substr(0, at);
    }
    absl::StatusOr<Action> action = ParseAction(rest);
    if (!action.ok()) return Annotate(action.status(), absl::StrCat("failpoint entry \"", entry, "\""));
    action->nth = nth;
    if (!out.emplace(std::string(name), *action).second) {
      return absl::InvalidArgumentError(absl::StrCat("failpoint ", name, " is armed twice"));
    }
  }
  return out;
}

Registry::Registry(std::map<std::string, Action> armed, std::string trace_path) {
  for (auto& [name, action] : armed) {
    auto point = std::make_unique<Point>();
    point->action = action;
    armed_.emplace(name, std::move(point));
  }
  if (!trace_path.empty()) {
    // Append mode, unbuffered: one write per line, so lines of concurrent
    // processes stay whole.
    trace_ = std::fopen(trace_path.c_str(), "a");
    if (trace_ == nullptr) {
      spdlog::warn("failpoint trace {}: cannot open (errno {}); not tracing", trace_path, errno);
    } else {
      std::setvbuf(trace_, nullptr, _IONBF, 0);
    }
  }
}

Registry::~Registry() {
  if (trace_ != nullptr) std::fclose(trace_);
}

absl::Status Registry::Hit(absl::string_view name) {
  if (trace_ != nullptr) {
    std::string line = absl::StrCat(name, "\n");
    std::fwrite(line.data(), 1, line.size(), trace_);
  }
  auto it = armed_.find(name);
  if (it == armed_.end()) return absl::OkStatus();
  Point& point = *it->second;
  const int hit = point.hits.fetch_add(1, std::memory_order_relaxed) + 1;
  if (point.action.nth != 0 && hit != point.action.nth) return absl::OkStatus();
  if (point.action.kind == Action::Kind::kHang) {
    spdlog::warn("failpoint {} hit {}: hanging {} ms", std::string(name), hit, point.action.hang_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(point.action.hang_ms));
  }
  spdlog::warn("failpoint {} hit {}: failing", std::string(name), hit);
  return absl::UnavailableError(absl::StrCat("failpoint ", name, " fired (hit ", hit, ")"));
}

int Registry::Hits(absl::string_view name) const {
  auto it = armed_.find(name);
  return it == armed_.end() ? 0 : it->second->hits.load(std::memory_order_relaxed);
}

Registry& Global() {
  // Leaked on purpose: points may be hit by threads still running at exit.
  static Registry* registry = [] {
    const char* spec = std::getenv("SILO_FAILPOINTS");
    const char* trace = std::getenv("SILO_FAILPOINT_TRACE");
    absl::StatusOr<std::map<std::string, Action>> armed = ParseSpec(spec ? spec : "");
    if (!armed.ok()) {
      std::fprintf(stderr, "SILO_FAILPOINTS: %s\n", std::string(armed.status().message()).c_str());
      std::abort();
    }
    return new Registry(*std::move(armed), trace ? trace : "");
  }();
  return *registry;
}

}  // namespace silo::failpoint
