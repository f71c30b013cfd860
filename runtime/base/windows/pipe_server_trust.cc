#include "runtime/base/windows/pipe_server_trust.h"

namespace silo::win32 {
namespace {

constexpr uint32_t kEAccessDenied = 0x80070005;
constexpr char kLocalSystem[] = "S-1-5-18";

}  // namespace

HrStatus JudgePipeServer(const std::string& pipe, const PipeServerFacts& facts, uint32_t expected_pid) {
  if (facts.pid == 0) return HrStatus(kEAccessDenied, pipe + ": the server's process is unknown");
  if (expected_pid != 0 && facts.pid == expected_pid) return HrStatus::Ok();
  if (facts.user_sid == kLocalSystem || facts.administrator) return HrStatus::Ok();
  std::string expected = expected_pid != 0 ? "process " + std::to_string(expected_pid) + " or " : std::string();
  return HrStatus(kEAccessDenied, pipe + " is served by process " + std::to_string(facts.pid) + " running as " +
                                      (facts.user_sid.empty() ? std::string("an unknown user") : facts.user_sid) +
                                      ", not by " + expected + "SYSTEM or an administrator; refusing to talk to it");
}

}  // namespace silo::win32
