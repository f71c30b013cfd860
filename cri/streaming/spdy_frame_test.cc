#include "cri/streaming/spdy_frame.h"

#include <string>

#include "gtest/gtest.h"

namespace silo::cri::streaming::spdy {
namespace {

constexpr size_t kLimit = 1 << 20;

Frame RoundTrip(const Frame& in) {
  auto bytes = SerializeFrame(in);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  size_t consumed = 0;
  auto out = ParseFrame(*bytes, kLimit, &consumed);
  EXPECT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->has_value());
  EXPECT_EQ(consumed, bytes->size());
  return **out;
}

TEST(SpdyFrameTest, DataRoundTripAndWireLayout) {
  auto bytes = SerializeFrame(MakeData(5, "abc", true));
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, std::string("\x00\x00\x00\x05\x01\x00\x00\x03" "abc", 11));
  Frame f = RoundTrip(MakeData(5, "abc", true));
  EXPECT_EQ(f.type, FrameType::kData);
  EXPECT_EQ(f.stream_id, 5u);
  EXPECT_TRUE(f.fin());
  EXPECT_EQ(f.data, "abc");
}

TEST(SpdyFrameTest, SynStreamWireLayout) {
  Frame in = MakeSynStream(1, "HB", kFlagFin | kFlagUnidirectional);
  in.associated_stream_id = 0;
  in.priority = 7;
  auto bytes = SerializeFrame(in);
  ASSERT_TRUE(bytes.ok());
  // control bit + version 3, type 1; flags 3, length 12.
  EXPECT_EQ(bytes->substr(0, 8), std::string("\x80\x03\x00\x01\x03\x00\x00\x0c", 8));
  EXPECT_EQ(uint8_t((*bytes)[16]), 0xe0);  // priority in the top 3 bits
  Frame f = RoundTrip(in);
  EXPECT_EQ(f.type, FrameType::kSynStream);
  EXPECT_EQ(f.stream_id, 1u);
  EXPECT_EQ(f.priority, 7);
  EXPECT_EQ(f.flags, kFlagFin | kFlagUnidirectional);
  EXPECT_EQ(f.header_block, "HB");
}

TEST(SpdyFrameTest, ControlFramesRoundTrip) {
  EXPECT_EQ(RoundTrip(MakeSynReply(3, "x", 0)).header_block, "x");
  Frame rst = RoundTrip(MakeRstStream(3, kCancel));
  EXPECT_EQ(rst.type, FrameType::kRstStream);
  EXPECT_EQ(rst.status, uint32_t(kCancel));
  EXPECT_EQ(RoundTrip(MakePing(42)).ping_id, 42u);
  Frame ga = RoundTrip(MakeGoAway(9, 2));
  EXPECT_EQ(ga.last_good_stream_id, 9u);
  EXPECT_EQ(ga.status, 2u);
  EXPECT_EQ(RoundTrip(MakeWindowUpdate(1, 65536)).delta_window_size, 65536u);
  Frame h;
  h.type = FrameType::kHeaders;
  h.stream_id = 7;
  h.header_block = "zz";
  EXPECT_EQ(RoundTrip(h).type, FrameType::kHeaders);
  Frame s;
  s.type = FrameType::kSettings;
  s.settings = {{1, 4, 100}, {0, 7, 1 << 20}};
  Frame s2 = RoundTrip(s);
  ASSERT_EQ(s2.settings.size(), 2u);
  EXPECT_EQ(s2.settings[0].flags, 1);
  EXPECT_EQ(s2.settings[0].id, 4u);
  EXPECT_EQ(s2.settings[1].value, 1u << 20);
}

TEST(SpdyFrameTest, IncrementalParsingNeedsMoreForEveryPrefix) {
  auto bytes = SerializeFrame(MakeData(1, "hello world", false));
  ASSERT_TRUE(bytes.ok());
  for (size_t n = 0; n < bytes->size(); ++n) {
    size_t consumed = 99;
    auto r = ParseFrame(std::string_view(*bytes).substr(0, n), kLimit, &consumed);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value()) << n;
    EXPECT_EQ(consumed, 0u);
  }
}

TEST(SpdyFrameTest, TwoFramesInOneBuffer) {
  std::string buf = *SerializeFrame(MakePing(1)) + *SerializeFrame(MakeData(3, "x", true));
  size_t consumed = 0;
  auto a = ParseFrame(buf, kLimit, &consumed);
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->type, FrameType::kPing);
  auto b = ParseFrame(std::string_view(buf).substr(consumed), kLimit, &consumed);
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->data, "x");
}

absl::Status ParseStatus(const std::string& bytes, size_t limit = kLimit) {
  size_t consumed;
  return ParseFrame(bytes, limit, &consumed).status();
}

TEST(SpdyFrameTest, RejectsBadVersionUnknownTypeAndBadLengths) {
  EXPECT_EQ(ParseStatus(std::string("\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseStatus(std::string("\x80\x03\x00\x05\x00\x00\x00\x00", 8)).code(),
            absl::StatusCode::kInvalidArgument);  // type 5 (NOOP) does not exist in v3
  EXPECT_EQ(ParseStatus(std::string("\x80\x03\x00\x06\x00\x00\x00\x05\x00\x00\x00\x01\x00", 13)).code(),
            absl::StatusCode::kInvalidArgument);  // PING of length 5
  EXPECT_EQ(ParseStatus(std::string("\x80\x03\x00\x03\x00\x00\x00\x08\x00\x00\x00\x01\x00\x00\x00\x00", 16)).code(),
            absl::StatusCode::kInvalidArgument);  // RST status 0
  EXPECT_EQ(ParseStatus(std::string("\x80\x03\x00\x04\x00\x00\x00\x04\xff\xff\xff\xff", 12)).code(),
            absl::StatusCode::kInvalidArgument);  // SETTINGS count overflow
  EXPECT_EQ(ParseStatus(std::string("\x80\x03\x00\x01\x00\x00\x00\x04\x00\x00\x00\x01", 12)).code(),
            absl::StatusCode::kInvalidArgument);  // SYN_STREAM too short
  EXPECT_EQ(ParseStatus(std::string("\x00\x00\x00\x00\x00\x00\x00\x00", 8)).code(),
            absl::StatusCode::kInvalidArgument);  // DATA on stream 0
  EXPECT_EQ(ParseStatus(std::string("\x80\x03\x00\x09\x00\x00\x00\x08\x00\x00\x00\x01\x00\x00\x00\x00", 16)).code(),
            absl::StatusCode::kInvalidArgument);  // WINDOW_UPDATE delta 0
}

TEST(SpdyFrameTest, OversizedFrameRejectedFromHeaderAlone) {
  // Only the 8-byte header is present; the limit is enforced before the body.
  std::string header("\x00\x00\x00\x01\x00\xff\xff\xff", 8);
  EXPECT_EQ(ParseStatus(header, 1024).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ParseStatus(std::string("\x80\x02\x00\x01", 4)).code(), absl::StatusCode::kOk);
}

TEST(SpdyFrameTest, SerializeRejectsOutOfRangeFields) {
  EXPECT_FALSE(SerializeFrame(MakeData(0x80000000u, "", false)).ok());
  Frame s;
  s.type = FrameType::kSettings;
  s.settings = {{0, 0x1000000, 1}};
  EXPECT_FALSE(SerializeFrame(s).ok());
  EXPECT_FALSE(SerializeFrame(MakeData(1, std::string(kMaxWireLength + 1, 'a'), false)).ok());
}

}  // namespace
}  // namespace silo::cri::streaming::spdy
