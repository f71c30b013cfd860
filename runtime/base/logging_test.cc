#include "runtime/base/logging.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace silo {
namespace {

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-logging-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    spdlog::drop_all();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(LoggingTest, RejectsUnknownLevelAndFormat) {
  spdlog::level::level_enum l;
  EXPECT_EQ(ParseLogLevel("verbose", &l).code(), absl::StatusCode::kInvalidArgument);
  LogOptions o;
  o.format = "xml";
  EXPECT_EQ(SetupLogging(o).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LoggingTest, JsonLinesAreEscapedAndParse) {
  LogOptions o;
  o.format = "json";
  o.file = dir_ + "/silod.log";
  ASSERT_TRUE(SetupLogging(o).ok());
  spdlog::info("quote \" newline \n tab \t done");
  spdlog::debug("hidden at info level");
  spdlog::default_logger()->flush();
  std::ifstream in(o.file);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["level"], "info");
    EXPECT_EQ(j["msg"], "quote \" newline \n tab \t done");
    EXPECT_EQ(j["time"].get<std::string>().back(), 'Z');
    ++lines;
  }
  EXPECT_EQ(lines, 1);
}

TEST_F(LoggingTest, FileIsRotatedBySize) {
  LogOptions o;
  o.file = dir_ + "/silod.log";
  o.max_size_bytes = 4096;
  o.max_files = 2;
  ASSERT_TRUE(SetupLogging(o).ok());
  std::string big(200, 'x');
  for (int i = 0; i < 200; ++i) spdlog::info("{} {}", i, big);
  spdlog::default_logger()->flush();
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/silod.1.log"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/silod.2.log"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/silod.3.log"));
  EXPECT_LE(std::filesystem::file_size(o.file), 4096u);
}

}  // namespace
}  // namespace silo
