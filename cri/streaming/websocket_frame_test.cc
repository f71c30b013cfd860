#include "cri/streaming/websocket_frame.h"

#include "gtest/gtest.h"

namespace silo::cri::streaming::ws {
namespace {

absl::StatusOr<std::optional<Frame>> Parse(const std::string& b, MaskPolicy p = MaskPolicy::kAny,
                                           size_t limit = 1 << 20) {
  size_t consumed;
  return ParseFrame(b, limit, p, &consumed);
}

TEST(WebSocketFrameTest, Rfc6455Examples) {
  // Section 5.7: unmasked "Hello" and masked "Hello".
  auto a = Parse(std::string("\x81\x05\x48\x65\x6c\x6c\x6f", 7));
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->payload, "Hello");
  EXPECT_EQ((*a)->opcode, Opcode::kText);
  auto b = Parse(std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->payload, "Hello");
  EXPECT_EQ((*b)->mask_key, 0x37fa213du);
  auto s = SerializeFrame(Opcode::kText, "Hello", true, 0x37fa213du);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
}

TEST(WebSocketFrameTest, LengthEncodings) {
  for (size_t n : {0u, 125u, 126u, 65535u, 65536u, 70000u}) {
    auto s = SerializeFrame(Opcode::kBinary, std::string(n, 'z'), true, std::nullopt);
    ASSERT_TRUE(s.ok());
    size_t header = n < 126 ? 2 : n <= 65535 ? 4 : 10;
    EXPECT_EQ(s->size(), header + n);
    size_t consumed;
    auto f = ParseFrame(*s, 1 << 20, MaskPolicy::kRequireUnmasked, &consumed);
    ASSERT_TRUE(f.ok() && f->has_value()) << n;
    EXPECT_EQ((*f)->payload.size(), n);
    EXPECT_EQ(consumed, s->size());
    for (size_t cut : {size_t(1), header - 1, s->size() - 1}) {
      if (cut >= s->size()) continue;
      auto p = ParseFrame(std::string_view(*s).substr(0, cut), 1 << 20, MaskPolicy::kAny, &consumed);
      ASSERT_TRUE(p.ok());
      EXPECT_FALSE(p->has_value());
    }
  }
}

TEST(WebSocketFrameTest, ProtocolViolations) {
  auto code = [](const std::string& b, MaskPolicy p = MaskPolicy::kAny) {
    return Parse(b, p).status().code();
  };
  const auto kBad = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(std::string("\xc1\x00", 2)), kBad);  // RSV1
  EXPECT_EQ(code(std::string("\x83\x00", 2)), kBad);  // opcode 3
  EXPECT_EQ(code(std::string("\x8b\x00", 2)), kBad);  // opcode 0xB
  EXPECT_EQ(code(std::string("\x09\x00", 2)), kBad);  // fragmented ping
  EXPECT_EQ(code(std::string("\x89\x7e\x00\x7e", 4)), kBad);  // ping with 126 bytes
  EXPECT_EQ(code(std::string("\x82\x7e\x00\x05", 4)), kBad);  // non-minimal 16-bit
  EXPECT_EQ(code(std::string("\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x05", 10)), kBad);
  EXPECT_EQ(code(std::string("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10)), kBad);  // high bit
  EXPECT_EQ(code(std::string("\x82\x00", 2), MaskPolicy::kRequireMasked), kBad);
  EXPECT_EQ(code(std::string("\x82\x80\0\0\0\0", 6), MaskPolicy::kRequireUnmasked), kBad);
  EXPECT_EQ(Parse(std::string("\x82\x7f\x00\x00\x00\x01\x00\x00\x00\x00", 10), MaskPolicy::kAny, 1000)
                .status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(SerializeFrame(Opcode::kPing, std::string(126, 'a'), true, std::nullopt).ok());
  EXPECT_FALSE(SerializeFrame(Opcode::kClose, "", false, std::nullopt).ok());
}

TEST(WebSocketFrameTest, ClosePayloads) {
  auto info = ParseClosePayload(MakeClosePayload(1000, "done"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->code, 1000);
  EXPECT_EQ(info->reason, "done");
  EXPECT_EQ(ParseClosePayload("")->code, 1005);
  EXPECT_FALSE(ParseClosePayload("x").ok());
  EXPECT_FALSE(ParseClosePayload(MakeClosePayload(1005, "")).ok());
  EXPECT_FALSE(ParseClosePayload(MakeClosePayload(999, "")).ok());
  EXPECT_TRUE(ParseClosePayload(MakeClosePayload(4000, "app")).ok());
  EXPECT_EQ(MakeClosePayload(1000, std::string(200, 'r')).size(), 125u);
}

}  // namespace
}  // namespace silo::cri::streaming::ws
