#include "cri/daemon/flags.h"

#include "gtest/gtest.h"

namespace silo::cri {
namespace {

TEST(FlagsTest, ServeWithOverridesInBothForms) {
  auto f = ParseFlags({"--config", "/etc/c.yaml", "--root=/r", "--state", "/s", "--listen=unix:///s/x.sock",
                       "--log-level", "debug"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->command, Flags::Command::kServe);
  EXPECT_EQ(f->config_file, "/etc/c.yaml");
  EXPECT_EQ(*f->root, "/r");
  EXPECT_EQ(*f->state, "/s");
  EXPECT_EQ(*f->listen, "unix:///s/x.sock");
  EXPECT_EQ(*f->log_level, "debug");
}

TEST(FlagsTest, Commands) {
  EXPECT_EQ(ParseFlags({"config", "default"})->command, Flags::Command::kPrintDefaultConfig);
  EXPECT_EQ(ParseFlags({"--version"})->command, Flags::Command::kVersion);
  EXPECT_EQ(ParseFlags({"--help"})->command, Flags::Command::kHelp);
  EXPECT_EQ(ParseFlags({})->command, Flags::Command::kServe);
}

TEST(FlagsTest, Errors) {
  EXPECT_NE(ParseFlags({"--bogus"}).status().message().find("--bogus"), std::string::npos);
  EXPECT_NE(ParseFlags({"--root"}).status().message().find("needs a value"), std::string::npos);
  EXPECT_FALSE(ParseFlags({"--root="}).ok());
  EXPECT_FALSE(ParseFlags({"config", "print"}).ok());
}

}  // namespace
}  // namespace silo::cri
