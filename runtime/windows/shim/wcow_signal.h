#pragma once
// What a kill signal means for a Windows (WCOW) process, after hcsshim's
// internal/signals ValidateWCOW on a host that supports signals (RS5 and
// later, every host Silo runs on): the Windows console control events by
// their own numbers, the two Linux signals orchestrators send translated
// (SIGTERM is CtrlShutdown, SIGKILL is HcsTerminateProcess), anything else
// refused. Pure; thread-safe.

#include <optional>
#include <string>

namespace silo::runtime::windows::shim {

struct WcowSignal {
  bool terminate = false;  // HcsTerminateProcess rather than HcsSignalProcess
  std::string name;        // ProcessSignal.Signal ("CtrlShutdown"); empty with terminate
};

// nullopt: the signal is not supported for Windows containers.
std::optional<WcowSignal> MapWcowSignal(int signal);

// {"Signal":"<name>"}, the options of HcsSignalProcess.
std::string WcowSignalOptions(const WcowSignal& signal);

}  // namespace silo::runtime::windows::shim
