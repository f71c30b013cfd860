#include "network/bandwidth.h"

#include "gtest/gtest.h"

namespace silo::network {
namespace {

TEST(ParseQuantityTest, SuffixesExponentsAndRounding) {
  EXPECT_EQ(*ParseQuantity("1000"), 1000u);
  EXPECT_EQ(*ParseQuantity("10M"), 10000000u);
  EXPECT_EQ(*ParseQuantity("1Mi"), 1048576u);
  EXPECT_EQ(*ParseQuantity("1.5k"), 1500u);
  EXPECT_EQ(*ParseQuantity("2Gi"), 2147483648u);
  EXPECT_EQ(*ParseQuantity("1e6"), 1000000u);
  EXPECT_EQ(*ParseQuantity("5E2"), 500u);
  EXPECT_EQ(*ParseQuantity("1E"), 1000000000000000000u);  // exa, not an exponent
  EXPECT_EQ(*ParseQuantity("1500m"), 2u);                   // rounds up like Quantity.Value()
  EXPECT_EQ(*ParseQuantity("+3P"), 3000000000000000u);
}

TEST(ParseQuantityTest, RejectsGarbage) {
  for (const char* bad : {"", "M", "-1M", "10 M", "10MB", "1.2.3", "abc", "1e", "1e1000", "99999Ei"}) {
    absl::StatusOr<uint64_t> v = ParseQuantity(bad);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(BandwidthFromAnnotationsTest, ReadsBothDirectionsAndChecksBounds) {
  absl::StatusOr<Bandwidth> b = BandwidthFromAnnotations({{kIngressBandwidthAnnotation, "10M"}, {"other", "x"}});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->ingress_bps, 10000000u);
  EXPECT_FALSE(b->egress_bps.has_value());

  b = BandwidthFromAnnotations({{kEgressBandwidthAnnotation, "1Gi"}, {kIngressBandwidthAnnotation, "1k"}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->egress_bps, 1073741824u);
  EXPECT_EQ(b->ingress_bps, 1000u);

  EXPECT_TRUE(BandwidthFromAnnotations({})->empty());

  absl::Status small = BandwidthFromAnnotations({{kIngressBandwidthAnnotation, "999"}}).status();
  EXPECT_EQ(small.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(small.message().find("kubernetes.io/ingress-bandwidth"), absl::string_view::npos) << small;
  EXPECT_EQ(BandwidthFromAnnotations({{kEgressBandwidthAnnotation, "2P"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status junk = BandwidthFromAnnotations({{kEgressBandwidthAnnotation, "fast"}}).status();
  EXPECT_NE(junk.message().find("egress"), absl::string_view::npos) << junk;
}

}  // namespace
}  // namespace silo::network
