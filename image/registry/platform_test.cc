#include "image/registry/platform.h"

#include "gtest/gtest.h"

namespace silo::image::registry {
namespace {

Platform Win(const std::string& version) { return {"windows", "amd64", "", version, {}}; }
Platform Lin(const std::string& arch, const std::string& variant = "") { return {"linux", arch, variant, "", {}}; }

TEST(PlatformTest, ParsesWindowsVersions) {
  auto v = ParseWindowsVersion("10.0.20348.2227");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->build, 20348u);
  EXPECT_EQ(v->revision, 2227u);
  EXPECT_TRUE(ParseWindowsVersion("10.0.17763").has_value());
  EXPECT_FALSE(ParseWindowsVersion("10.0").has_value());
  EXPECT_FALSE(ParseWindowsVersion("10.0.x.1").has_value());
  EXPECT_FALSE(ParseWindowsVersion("10..17763").has_value());
}

TEST(PlatformTest, LinuxArchAliasesAndVariants) {
  EXPECT_TRUE(Matches(Lin("amd64"), Lin("x86_64")));
  EXPECT_TRUE(Matches(Lin("arm64"), Lin("aarch64", "v8")));
  EXPECT_TRUE(Matches(Lin("arm", "v7"), Lin("arm", "v6")));
  EXPECT_FALSE(Matches(Lin("arm", "v6"), Lin("arm", "v7")));
  EXPECT_FALSE(Matches(Lin("amd64"), Lin("arm64")));
  EXPECT_FALSE(Matches(Lin("amd64"), Win("10.0.20348.1")));
}

TEST(PlatformTest, WindowsBeforeLtsc2022NeedsTheSameBuild) {
  Platform host = Win("10.0.17763.5000");
  EXPECT_TRUE(Matches(host, Win("10.0.17763.100")));
  EXPECT_FALSE(Matches(host, Win("10.0.20348.1")));
  EXPECT_FALSE(Matches(host, Win("10.0.14393.1")));
}

TEST(PlatformTest, WindowsStableAbiFromLtsc2022) {
  Platform ws2025 = Win("10.0.26100.1");
  EXPECT_TRUE(Matches(ws2025, Win("10.0.20348.2227")));   // ltsc2022 image on WS2025
  EXPECT_TRUE(Matches(ws2025, Win("10.0.26100.9")));
  EXPECT_FALSE(Matches(ws2025, Win("10.0.17763.1")));     // pre-2022 images need their own host
  EXPECT_FALSE(Matches(Win("10.0.20348.1"), Win("10.0.26100.1")));  // newer image, older host
  EXPECT_FALSE(Matches(ws2025, Win("6.3.26100.1")));
}

TEST(PlatformTest, SelectPrefersExactBuildThenHighestRevision) {
  std::vector<Platform> index = {Lin("amd64"), Win("10.0.17763.5000"), Win("10.0.20348.9"),
                                 Win("10.0.20348.10"), Win("10.0.26100.3")};
  auto i = SelectPlatform(Win("10.0.20348.100"), index);
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(*i, 3u);  // revision 10 beats 9 numerically
  i = SelectPlatform(Win("10.0.26100.1"), index);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(*i, 4u);  // the host's own build beats ltsc2022
  i = SelectPlatform(Win("10.0.17763.1"), index);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(*i, 1u);
  i = SelectPlatform(Lin("amd64"), index);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(*i, 0u);
}

TEST(PlatformTest, NoMatchListsAvailablePlatforms) {
  auto i = SelectPlatform(Lin("amd64"), {Lin("arm64"), Win("10.0.20348.1"), Lin("arm", "v7")});
  ASSERT_EQ(i.status().code(), absl::StatusCode::kNotFound);
  std::string m(i.status().message());
  EXPECT_NE(m.find("linux/amd64"), std::string::npos) << m;
  EXPECT_NE(m.find("linux/arm64, windows/amd64 (10.0.20348.1), linux/arm/v7"), std::string::npos) << m;
}

TEST(PlatformTest, HostIsLinuxAmd64Here) {
  Platform h = HostPlatform();
  EXPECT_EQ(h.os, "linux");
  EXPECT_FALSE(h.architecture.empty());
  EXPECT_EQ(h.os_version, "");  // only Windows hosts match images by build
}

}  // namespace
}  // namespace silo::image::registry
