#pragma once
// What every reliability driver's main needs besides the Env: `--name=value`
// flags and a bounded poll. One copy, so the drivers agree on flag syntax
// and on how a wait gives up.
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace silo::reliability {

// Flags are `--name=value` only; an unknown name or a value the flag refuses
// is reported on stderr and fails Parse, so a typo never runs a default.
class DriverFlags {
 public:
  // A flag whose value `parse` checks and stores; false means malformed.
  DriverFlags& Add(const std::string& name, std::function<bool(const std::string&)> parse) {
    flags_[name] = std::move(parse);
    return *this;
  }
  // An integer flag, at least `min`.
  template <typename Number>
  DriverFlags& Int(const std::string& name, Number* out, Number min = 0) {
    return Add(name, [out, min](const std::string& v) {
      Number parsed{};
      if (!absl::SimpleAtoi(v, &parsed) || parsed < min) return false;
      *out = parsed;
      return true;
    });
  }
  bool Parse(int argc, char** argv) const {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      const size_t eq = arg.find('=');
      auto flag = absl::StartsWith(arg, "--") && eq != std::string::npos ? flags_.find(arg.substr(2, eq - 2))
                                                                           : flags_.end();
      if (flag == flags_.end() || !flag->second(arg.substr(eq + 1))) {
        std::cerr << "unknown or malformed flag " << arg << "\n";
        return false;
      }
    }
    return true;
  }

 private:
  std::map<std::string, std::function<bool(const std::string&)>> flags_;
};

// Polls `done` every `period` until it holds (true) or `timeout` passes (false).
template <typename Fn>
bool Eventually(Fn done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds period = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(period);
  }
  return true;
}

}  // namespace silo::reliability
