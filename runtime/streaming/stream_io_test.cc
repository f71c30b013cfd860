#include "runtime/streaming/stream_io.h"

#include <thread>

#include "gtest/gtest.h"

namespace silo::runtime::streaming {
namespace {

TEST(ByteQueueTest, DrainsThenEof) {
  ByteQueue q(16);
  EXPECT_TRUE(q.Write("hello"));
  q.CloseWrite();
  EXPECT_FALSE(q.Write("more"));
  EXPECT_EQ(q.Read(3), "hel");
  EXPECT_EQ(q.Read(), "lo");
  EXPECT_EQ(q.Read(), std::nullopt);
}

TEST(ByteQueueTest, WriterBlocksWhenFullUntilReaderDrains) {
  ByteQueue q(4);
  std::string got;
  std::thread reader([&] {
    while (auto s = q.Read()) got += *s;
  });
  EXPECT_TRUE(q.Write(std::string(1000, 'a')));  // 250 times the capacity
  q.CloseWrite();
  reader.join();
  EXPECT_EQ(got, std::string(1000, 'a'));
}

TEST(ByteQueueTest, CloseUnblocksWriterAndReader) {
  ByteQueue q(2);
  std::thread writer([&] { EXPECT_FALSE(q.Write("abcdef")); });
  // The writer fills the queue and blocks; Close must release it.
  q.Close();
  writer.join();
  EXPECT_EQ(q.Read(), std::nullopt);
}

TEST(ResizeQueueTest, KeepsNewestAndCloses) {
  ResizeQueue q;
  for (uint16_t i = 0; i < 20; ++i) q.Push({i, i});
  EXPECT_EQ(q.Next()->width, 4);  // the 4 oldest were dropped
  q.Close();
  int n = 0;
  while (q.Next()) ++n;
  EXPECT_EQ(n, 15);
}

}  // namespace
}  // namespace silo::runtime::streaming
