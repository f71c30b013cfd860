#include "runtime/windows/shim/wcow_signal.h"

#include "nlohmann/json.hpp"

namespace silo::runtime::windows::shim {
namespace {

// The numbers hcsshim's signalmap.go gives the console control events.
constexpr int kCtrlC = 0x0;
constexpr int kCtrlBreak = 0x1;
constexpr int kCtrlClose = 0x2;
constexpr int kCtrlLogOff = 0x5;
constexpr int kCtrlShutdown = 0x6;
constexpr int kSigKill = 0x9;
constexpr int kSigTerm = 0xf;

}  // namespace

std::optional<WcowSignal> MapWcowSignal(int signal) {
  switch (signal) {
    case kCtrlC:
      return WcowSignal{false, "CtrlC"};
    case kCtrlBreak:
      return WcowSignal{false, "CtrlBreak"};
    case kCtrlClose:
      return WcowSignal{false, "CtrlClose"};
    case kCtrlLogOff:
      return WcowSignal{false, "CtrlLogOff"};
    case kCtrlShutdown:
    case kSigTerm:
      return WcowSignal{false, "CtrlShutdown"};
    case kSigKill:
      return WcowSignal{true, ""};
    default:
      return std::nullopt;
  }
}

std::string WcowSignalOptions(const WcowSignal& signal) { return nlohmann::json{{"Signal", signal.name}}.dump(); }

}  // namespace silo::runtime::windows::shim
