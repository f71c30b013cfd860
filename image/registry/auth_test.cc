#include "image/registry/auth.h"

#include <gtest/gtest.h>

namespace silo::image::registry {
namespace {

TEST(ParseChallengesTest, BearerWithQuotedParams) {
  auto c = ParseChallenges(
      {R"(Bearer realm="https://auth.example.io/token",service="registry.example.io",scope="repository:a/b:pull,push")"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params["realm"], "https://auth.example.io/token");
  EXPECT_EQ(c[0].params["service"], "registry.example.io");
  EXPECT_EQ(c[0].params["scope"], "repository:a/b:pull,push");  // comma inside quotes kept
}

TEST(ParseChallengesTest, SeveralChallengesAndTokenValues) {
  auto c = ParseChallenges({R"(Basic realm="x \"y\"", Bearer realm=https://t/token, service=reg)", "Basic realm=z"});
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].params["realm"], "x \"y\"");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].params["realm"], "https://t/token");
  EXPECT_EQ(c[1].params["service"], "reg");
  EXPECT_EQ(c[2].params["realm"], "z");
}

TEST(ParseChallengesTest, GarbageYieldsNothing) {
  EXPECT_TRUE(ParseChallenges({"", "=oops"}).empty());
}

TEST(AuthConfigTest, BasicHeaderFromUserOrAuthField) {
  AuthConfig a;
  a.username = "user";
  a.password = "pass";
  EXPECT_EQ(*a.BasicHeader(), "Basic dXNlcjpwYXNz");
  AuthConfig b;
  b.auth = "dXNlcjpwYXNz";
  EXPECT_EQ(*b.BasicHeader(), "Basic dXNlcjpwYXNz");
  AuthConfig bad;
  bad.auth = "bm9jb2xvbg==";  // "nocolon"
  EXPECT_FALSE(bad.BasicHeader().ok());
}

TEST(UrlQueryEscapeTest, EscapesReserved) {
  EXPECT_EQ(UrlQueryEscape("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
}

}  // namespace
}  // namespace silo::image::registry
