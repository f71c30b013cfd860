#include "runtime/linux/net_dev.h"

#include "gtest/gtest.h"

namespace silo::runtime::linux_backend {
namespace {

constexpr char kTable[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
    "carrier compressed\n"
    "    lo:     840      10    0    0    0     0          0         0      840      10    0    0    0     0 "
    "      0          0\n"
    "  eth0: 1234567    900    1    2    0     0          0         0   765432     800    3    4    0     0 "
    "      0          0\n";

TEST(NetDevTest, ParsesRowsAndSkipsLoopback) {
  auto rows = ParseNetDev(kTable);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  const InterfaceCounters& e = (*rows)[0];
  EXPECT_EQ(e.name, "eth0");
  EXPECT_EQ(e.rx_bytes, 1234567u);
  EXPECT_EQ(e.rx_errors, 1u);
  EXPECT_EQ(e.rx_dropped, 2u);
  EXPECT_EQ(e.tx_bytes, 765432u);
  EXPECT_EQ(e.tx_errors, 3u);
  EXPECT_EQ(e.tx_dropped, 4u);
}

TEST(NetDevTest, RejectsShortRows) {
  EXPECT_FALSE(ParseNetDev("eth0: 1 2 3\n").ok());
  EXPECT_FALSE(ParseNetDev("eth0: 1 2 3 4 5 6 7 8 x 10 11 12 13 14 15 16\n").ok());
}

}  // namespace
}  // namespace silo::runtime::linux_backend
