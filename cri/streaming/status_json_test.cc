#include "cri/streaming/status_json.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace silo::cri::streaming {
namespace {

TEST(StatusJsonTest, SuccessShape) {
  EXPECT_EQ(ExitStatusJson(0), R"({"metadata":{},"status":"Success"})");
}

TEST(StatusJsonTest, NonZeroExitShape) {
  auto j = nlohmann::json::parse(ExitStatusJson(7));
  EXPECT_EQ(j["status"], "Failure");
  EXPECT_EQ(j["reason"], "NonZeroExitCode");
  EXPECT_EQ(j["details"]["causes"][0]["reason"], "ExitCode");
  EXPECT_EQ(j["details"]["causes"][0]["message"], "7");
}

TEST(StatusJsonTest, InternalError) {
  auto j = nlohmann::json::parse(InternalErrorStatusJson("boom"));
  EXPECT_EQ(j["status"], "Failure");
  EXPECT_EQ(j["reason"], "InternalError");
  EXPECT_EQ(j["code"], 500);
  EXPECT_EQ(j["details"]["causes"][0]["message"], "boom");
}

TEST(ResizeDecoderTest, SplitAndConcatenatedObjects) {
  ResizeDecoder d;
  EXPECT_TRUE(d.Feed(R"({"Width":80,"He)").empty());
  auto a = d.Feed(R"(ight":24}{"Width":100,"Height":50})");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0], (TerminalSize{80, 24}));
  EXPECT_EQ(a[1], (TerminalSize{100, 50}));
}

TEST(ResizeDecoderTest, SkipsMalformed) {
  ResizeDecoder d;
  auto a = d.Feed(R"(junk{"Width":-1,"Height":2}{"Width":70000,"Height":1}{bad}{"Width":1,"Height":2})");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0], (TerminalSize{1, 2}));
  // An endless object is dropped rather than buffered forever.
  d.Feed("{" + std::string(10000, ' '));
  auto b = d.Feed(R"({"Width":3,"Height":4})");
  ASSERT_EQ(b.size(), 1u);
}

}  // namespace
}  // namespace silo::cri::streaming
