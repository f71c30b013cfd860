#include "network/relay/pump_direction.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace silo::network::relay {
namespace {

size_t Feed(PumpDirection& d, const std::string& s) {
  std::span<char> space = d.ReadSpace();
  const size_t n = std::min(space.size(), s.size());
  std::memcpy(space.data(), s.data(), n);
  d.CommitRead(n);
  return n;
}

std::string Drain(PumpDirection& d, size_t max = SIZE_MAX) {
  std::span<const char> data = d.WriteData();
  const size_t n = std::min(max, data.size());
  std::string out(data.data(), n);
  d.CommitWrite(n);
  return out;
}

TEST(PumpDirectionTest, ForwardsInOrderAndCompacts) {
  PumpDirection d(8);
  EXPECT_TRUE(d.WantsRead());
  EXPECT_FALSE(d.WantsWrite());
  EXPECT_EQ(Feed(d, "abcdefgh"), 8u);
  EXPECT_FALSE(d.WantsRead()) << "buffer full";
  EXPECT_EQ(Drain(d, 3), "abc");
  // Full at the tail with room at the head: ReadSpace slides the data down.
  EXPECT_EQ(d.ReadSpace().size(), 3u);
  EXPECT_EQ(Feed(d, "ijk"), 3u);
  EXPECT_EQ(Drain(d), "defghijk");
  EXPECT_EQ(d.bytes_forwarded(), 11u);
}

TEST(PumpDirectionTest, ShutdownOnlyAfterEofAndFlush) {
  PumpDirection d(16);
  Feed(d, "tail");
  d.OnSourceEof();
  EXPECT_FALSE(d.WantsRead());
  EXPECT_TRUE(d.ReadSpace().empty());
  EXPECT_FALSE(d.ShouldShutdownSink()) << "bytes still pending";
  EXPECT_EQ(Drain(d), "tail");
  EXPECT_TRUE(d.ShouldShutdownSink());
  EXPECT_FALSE(d.Done());
  d.OnSinkShutdown();
  EXPECT_TRUE(d.Done());
  EXPECT_FALSE(d.ShouldShutdownSink());
}

TEST(PumpDirectionTest, AbandonDropsPendingBytes) {
  PumpDirection d(16);
  Feed(d, "lost");
  d.Abandon();
  EXPECT_TRUE(d.Done());
  EXPECT_FALSE(d.WantsWrite());
  EXPECT_FALSE(d.WantsRead());
  EXPECT_EQ(d.bytes_forwarded(), 0u);
}

}  // namespace
}  // namespace silo::network::relay
