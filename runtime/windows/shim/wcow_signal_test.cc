#include "runtime/windows/shim/wcow_signal.h"

#include <gtest/gtest.h>

namespace silo::runtime::windows::shim {
namespace {

TEST(WcowSignalTest, ConsoleEventsKeepTheirNumbers) {
  EXPECT_EQ(MapWcowSignal(0)->name, "CtrlC");
  EXPECT_EQ(MapWcowSignal(1)->name, "CtrlBreak");
  EXPECT_EQ(MapWcowSignal(2)->name, "CtrlClose");
  EXPECT_EQ(MapWcowSignal(5)->name, "CtrlLogOff");
  EXPECT_EQ(MapWcowSignal(6)->name, "CtrlShutdown");
  for (int s : {0, 1, 2, 5, 6}) EXPECT_FALSE(MapWcowSignal(s)->terminate) << s;
}

TEST(WcowSignalTest, SigtermIsCtrlShutdownAndSigkillTerminates) {
  EXPECT_EQ(MapWcowSignal(15)->name, "CtrlShutdown");
  EXPECT_FALSE(MapWcowSignal(15)->terminate);
  ASSERT_TRUE(MapWcowSignal(9).has_value());
  EXPECT_TRUE(MapWcowSignal(9)->terminate);
  EXPECT_EQ(WcowSignalOptions(*MapWcowSignal(15)), R"({"Signal":"CtrlShutdown"})");
}

TEST(WcowSignalTest, OtherSignalsAreRefused) {
  for (int s : {-1, 3, 4, 7, 8, 10, 2 + 17, 19, 64}) EXPECT_FALSE(MapWcowSignal(s).has_value()) << s;
}

}  // namespace
}  // namespace silo::runtime::windows::shim
