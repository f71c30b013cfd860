#include "network/hns/guid.h"

#include "gtest/gtest.h"

namespace silo::network::hns {
namespace {

TEST(GuidTest, ParsesAndFormatsCanonicalLowercase) {
  std::optional<HcnGuid> g = ParseGuid("{0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->data1, 0x0A1B2C3Du);
  EXPECT_EQ(g->data2, 0x4E5Fu);
  EXPECT_EQ(g->data3, 0x6071u);
  EXPECT_EQ(g->data4[0], 0x82);
  EXPECT_EQ(g->data4[1], 0x93);
  EXPECT_EQ(g->data4[7], 0xF9);
  EXPECT_EQ(FormatGuid(*g), "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
  EXPECT_EQ(CanonicalGuid("0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9"), "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
}

TEST(GuidTest, RejectsMalformed) {
  EXPECT_FALSE(ParseGuid(""));
  EXPECT_FALSE(ParseGuid("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f"));     // short
  EXPECT_FALSE(ParseGuid("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8fg"));    // bad digit
  EXPECT_FALSE(ParseGuid("0a1b2c3d04e5f-6071-8293-a4b5c6d7e8f9"));    // dash missing
  EXPECT_FALSE(ParseGuid("{0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"));   // unbalanced brace
  EXPECT_FALSE(CanonicalGuid("/var/run/netns/x"));
}

TEST(GuidTest, ZeroGuid) {
  EXPECT_TRUE(IsZeroGuid(HcnGuid{}));
  EXPECT_FALSE(IsZeroGuid(*ParseGuid("00000000-0000-0000-0000-000000000001")));
  EXPECT_EQ(FormatGuid(HcnGuid{}), "00000000-0000-0000-0000-000000000000");
}

TEST(GuidTest, SiloNamespaceGuidIsStableMarkedAndDistinct) {
  const HcnGuid a = SiloNamespaceGuid("3f2a9c0e");
  EXPECT_EQ(FormatGuid(a), FormatGuid(SiloNamespaceGuid("3f2a9c0e"))) << "recomputable from the sandbox id";
  EXPECT_NE(FormatGuid(a), FormatGuid(SiloNamespaceGuid("3f2a9c0f")));
  EXPECT_TRUE(HasSiloMark(a));
  const std::string text = FormatGuid(a);
  EXPECT_EQ(text[14], '8') << "RFC 9562 version 8 (custom): " << text;
  EXPECT_NE(std::string("89ab").find(text[19]), std::string::npos) << "RFC variant: " << text;
  EXPECT_EQ(CanonicalGuid(text), text);
}

TEST(GuidTest, OtherGuidsCarryNoSiloMark) {
  // What HNS and other runtimes use: random version-4 GUIDs, and the zero GUID.
  EXPECT_FALSE(HasSiloMark(*ParseGuid("5110c0de-5110-4abc-8def-0123456789ab")));  // same prefix, version 4
  EXPECT_FALSE(HasSiloMark(*ParseGuid("0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9")));
  EXPECT_FALSE(HasSiloMark(HcnGuid{}));
}

}  // namespace
}  // namespace silo::network::hns
