#include "runtime/windows/shim/session_frames.h"

#include <thread>

#include "gtest/gtest.h"
#include "runtime/windows/shim/memory_duplex.h"

namespace silo::runtime::windows::shim {
namespace {

TEST(SessionFramesTest, FramesRoundTripOverAConnectionInOrder) {
  auto [a, b] = MemoryDuplexPair();
  SessionWriter writer(*a);
  ASSERT_TRUE(writer.Send(SessionFrameType::kStdout, "hello"));
  ASSERT_TRUE(writer.Send(SessionFrameType::kResize, ResizePayload(120, 40)));
  ASSERT_TRUE(writer.Send(SessionFrameType::kStdinEof));
  ASSERT_TRUE(writer.Send(SessionFrameType::kExit, ExitPayload(-2)));
  auto f = ReadSessionFrame(*b);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type, SessionFrameType::kStdout);
  EXPECT_EQ(f->payload, "hello");
  f = ReadSessionFrame(*b);
  uint16_t w = 0, h = 0;
  ASSERT_TRUE(f && ParseResize(f->payload, &w, &h));
  EXPECT_EQ(w, 120);
  EXPECT_EQ(h, 40);
  f = ReadSessionFrame(*b);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type, SessionFrameType::kStdinEof);
  EXPECT_TRUE(f->payload.empty());
  f = ReadSessionFrame(*b);
  int64_t code = 0;
  ASSERT_TRUE(f && ParseExit(f->payload, &code));
  EXPECT_EQ(code, -2);
  a.reset();  // the peer closed: end of stream
  EXPECT_FALSE(ReadSessionFrame(*b).has_value());
}

TEST(SessionFramesTest, LargeDataIsSplitIntoPayloadsTheReaderAccepts) {
  auto [a, b] = MemoryDuplexPair();
  const std::string big(3 * kMaxSessionPayload + 17, 'x');
  std::thread writer([&, conn = a.get()] {
    SessionWriter w(*conn);
    EXPECT_TRUE(w.Send(SessionFrameType::kStdin, big));
  });
  std::string got;
  while (got.size() < big.size()) {
    auto f = ReadSessionFrame(*b);
    ASSERT_TRUE(f.has_value());
    EXPECT_LE(f->payload.size(), kMaxSessionPayload);
    got += f->payload;
  }
  writer.join();
  EXPECT_EQ(got, big);
}

TEST(SessionFramesTest, UnknownTypesOversizedPayloadsAndTruncatedFramesEndTheSession) {
  {
    auto [a, b] = MemoryDuplexPair();
    ASSERT_TRUE(a->Write(std::string("\x09\0\0\0\0", 5)));
    EXPECT_FALSE(ReadSessionFrame(*b).has_value());
  }
  {
    auto [a, b] = MemoryDuplexPair();
    ASSERT_TRUE(a->Write(std::string("\x04\x00\x01\x00\x01", 5)));  // 65537 bytes announced
    EXPECT_FALSE(ReadSessionFrame(*b).has_value());
  }
  {
    auto [a, b] = MemoryDuplexPair();
    ASSERT_TRUE(a->Write(std::string("\x04\0\0\0\x05" "abc", 8)));
    a.reset();
    EXPECT_FALSE(ReadSessionFrame(*b).has_value());
  }
  uint16_t w = 0, h = 0;
  EXPECT_FALSE(ParseResize("abc", &w, &h));
  int64_t code = 0;
  EXPECT_FALSE(ParseExit("1234", &code));
}

TEST(SessionFramesTest, CancelReadWakesAPendingReadAndWritesStillArrive) {
  auto [a, b] = MemoryDuplexPair();
  std::thread reader([conn = a.get()] { EXPECT_FALSE(ReadSessionFrame(*conn).has_value()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  a->CancelRead();
  reader.join();
  SessionWriter w(*a);
  ASSERT_TRUE(w.Send(SessionFrameType::kExit, ExitPayload(0)));
  EXPECT_TRUE(ReadSessionFrame(*b).has_value());
  b.reset();
  EXPECT_FALSE(w.Send(SessionFrameType::kStdout, "x")) << "the peer is gone";
}

}  // namespace
}  // namespace silo::runtime::windows::shim
