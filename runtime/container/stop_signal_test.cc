#include "runtime/container/stop_signal.h"

#include <signal.h>

#include "gtest/gtest.h"

namespace silo::runtime::container {
namespace {

TEST(StopSignalTest, ParsesNamesNumbersAndRealtimeSignals) {
  EXPECT_EQ(ParseStopSignal("").value(), SIGTERM);
  EXPECT_EQ(ParseStopSignal("SIGQUIT").value(), SIGQUIT);
  EXPECT_EQ(ParseStopSignal("quit").value(), SIGQUIT);
  EXPECT_EQ(ParseStopSignal("SigUsr1").value(), SIGUSR1);
  EXPECT_EQ(ParseStopSignal("3").value(), 3);
  EXPECT_EQ(ParseStopSignal("SIGRTMIN").value(), SIGRTMIN);
  EXPECT_EQ(ParseStopSignal("SIGRTMIN+3").value(), SIGRTMIN + 3);
  EXPECT_EQ(ParseStopSignal("RTMAX-1").value(), SIGRTMAX - 1);
}

TEST(StopSignalTest, RefusesUnknownSignals) {
  for (const char* bad : {"SIGNOPE", "0", "-1", "999", "SIGRTMIN+99", "SIGRTMIN-1", "RTMAX+1", "SIG", "3x"}) {
    auto s = ParseStopSignal(bad);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace silo::runtime::container
