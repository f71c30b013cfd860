#include "cri/streaming/spdy_headers.h"

#include <zlib.h>

#include "gtest/gtest.h"

namespace silo::cri::streaming::spdy {
namespace {

TEST(SpdyHeadersTest, DictionaryIsTheSpdy3One) {
  std::string_view d = HeaderDictionary();
  ASSERT_EQ(d.size(), 1423u);
  EXPECT_EQ(d.substr(0, 11), std::string_view("\0\0\0\x07options", 11));
  EXPECT_EQ(d.substr(d.size() - 6), "enq=0.");
  EXPECT_EQ(adler32(1, reinterpret_cast<const Bytef*>(d.data()), uInt(d.size())), 0xe3c6a7c2u);
}

TEST(SpdyHeadersTest, PlainBlockLayout) {
  std::string b = EncodeHeaderBlock({{"StreamType", "error"}});
  EXPECT_EQ(b, std::string("\0\0\0\x01\0\0\0\x0astreamtype\0\0\0\x05" "error", 27));
  auto back = DecodeHeaderBlock(b);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(FindHeader(*back, "streamType"), "error");
  EXPECT_EQ(FindHeader(*back, "absent"), "");
}

TEST(SpdyHeadersTest, PlainBlockRejectsMalformed) {
  EXPECT_FALSE(DecodeHeaderBlock("").ok());
  EXPECT_FALSE(DecodeHeaderBlock(std::string("\0\0\0\x01\0\0\0\x05" "ab", 10)).ok());  // truncated
  EXPECT_FALSE(DecodeHeaderBlock(std::string("\xff\xff\xff\xff", 4)).ok());           // huge count
  EXPECT_FALSE(DecodeHeaderBlock(std::string("\0\0\0\x01\0\0\0\0\0\0\0\0", 12)).ok()); // empty name
  std::string dup = EncodeHeaderBlock({{"a", "1"}, {"A", "2"}});
  EXPECT_FALSE(DecodeHeaderBlock(dup).ok());
  EXPECT_FALSE(DecodeHeaderBlock(EncodeHeaderBlock({{"a", "1"}}) + "x").ok());  // trailing
}

TEST(SpdyHeadersTest, OneContextAcrossManyBlocks) {
  HeaderCompressor comp;
  HeaderDecompressor decomp;
  for (int i = 0; i < 50; ++i) {
    HeaderBlock in = {{"streamtype", i % 2 ? "stdout" : "stderr"},
                      {"requestid", std::to_string(i)},
                      {"port", "8080"}};
    auto c = comp.Compress(in);
    ASSERT_TRUE(c.ok());
    auto out = decomp.Decompress(*c);
    ASSERT_TRUE(out.ok()) << out.status() << " at block " << i;
    EXPECT_EQ(*out, in);
  }
}

TEST(SpdyHeadersTest, FreshDecompressorCannotReadMidStreamBlock) {
  HeaderCompressor comp;
  ASSERT_TRUE(comp.Compress({{"a", "b"}}).ok());
  auto second = comp.Compress({{"a", "b"}});
  ASSERT_TRUE(second.ok());
  HeaderDecompressor fresh;
  EXPECT_FALSE(fresh.Decompress(*second).ok());
}

TEST(SpdyHeadersTest, GarbageAndBombsRejected) {
  HeaderDecompressor d1;
  EXPECT_FALSE(d1.Decompress("not zlib at all").ok());
  // A block that inflates beyond the limit is refused.
  HeaderCompressor comp;
  auto big = comp.Compress({{"x", std::string(10000, 'a')}});
  ASSERT_TRUE(big.ok());
  HeaderDecompressor small(1000);
  EXPECT_EQ(small.Decompress(*big).status().code(), absl::StatusCode::kResourceExhausted);
  // And the context stays dead afterwards.
  EXPECT_FALSE(small.Decompress(*big).ok());
}

}  // namespace
}  // namespace silo::cri::streaming::spdy
