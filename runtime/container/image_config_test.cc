#include "runtime/container/image_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace silo::runtime::container {
namespace {

using ::testing::ElementsAre;

ImageConfig Image() {
  auto parsed = ParseImageConfig(R"({"config":{"Entrypoint":["/entry"],"Cmd":["run","--fast"],
      "Env":["PATH=/bin","A=image"],"WorkingDir":"/app","User":"1000:2000"}})");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return *parsed;
}

TEST(ImageConfigTest, ParsesTheConfigObject) {
  ImageConfig c = Image();
  EXPECT_THAT(c.entrypoint, ElementsAre("/entry"));
  EXPECT_THAT(c.cmd, ElementsAre("run", "--fast"));
  EXPECT_EQ(c.working_dir, "/app");
  EXPECT_EQ(c.user, "1000:2000");
  EXPECT_FALSE(ParseImageConfig("not json").ok());
  auto empty = ParseImageConfig("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->cmd.empty());
}

TEST(ImageConfigTest, ArgsFollowDockerRules) {
  ::runtime::v1::ContainerConfig cri;
  EXPECT_THAT(*MergeArgs(cri, Image()), ElementsAre("/entry", "run", "--fast"));
  cri.add_args("other");
  EXPECT_THAT(*MergeArgs(cri, Image()), ElementsAre("/entry", "other"));
  cri.add_command("/bin/sh");
  EXPECT_THAT(*MergeArgs(cri, Image()), ElementsAre("/bin/sh", "other"));
  ::runtime::v1::ContainerConfig only_command;
  only_command.add_command("/bin/true");
  EXPECT_THAT(*MergeArgs(only_command, Image()), ElementsAre("/bin/true"));  // image Cmd not appended
  EXPECT_EQ(MergeArgs(::runtime::v1::ContainerConfig(), ImageConfig()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ImageConfigTest, CriEnvOverridesImageEnvInPlace) {
  ::runtime::v1::ContainerConfig cri;
  auto* kv = cri.add_envs();
  kv->set_key("A");
  kv->set_value("cri");
  kv = cri.add_envs();
  kv->set_key("B");
  kv->set_value("new");
  EXPECT_THAT(MergeEnv(cri, Image()), ElementsAre("PATH=/bin", "A=cri", "B=new"));
}

TEST(ImageConfigTest, ParsesArgsEscapedAndOs) {
  auto c = ParseImageConfig(R"({"os":"windows","config":{"Cmd":["cmd /S /C echo hi"],"ArgsEscaped":true,
      "User":"ContainerUser"}})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->args_escaped);
  EXPECT_TRUE(c->IsWindows());
  EXPECT_FALSE(Image().args_escaped);
  EXPECT_FALSE(Image().IsWindows());
}

// containerd's getArgs: the image's escaped line is used raw only when args[0]
// is the image's Entrypoint[0] or Cmd[0].
TEST(ImageConfigTest, EscapedCommandLineOnlyWhenTheImageSuppliesTheFirstArg) {
  ImageConfig cmd_only;
  cmd_only.args_escaped = true;
  cmd_only.cmd = {"cmd /S /C echo hi"};
  ImageConfig with_entrypoint = cmd_only;
  with_entrypoint.entrypoint = {"cmd /S /C"};

  ::runtime::v1::ContainerConfig none;
  EXPECT_TRUE(FirstArgIsEscapedCommandLine(none, cmd_only));
  EXPECT_TRUE(FirstArgIsEscapedCommandLine(none, with_entrypoint));

  ::runtime::v1::ContainerConfig args;  // CRI args replace the image Cmd
  args.add_args("ping localhost");
  EXPECT_FALSE(FirstArgIsEscapedCommandLine(args, cmd_only));
  EXPECT_TRUE(FirstArgIsEscapedCommandLine(args, with_entrypoint));

  ::runtime::v1::ContainerConfig command;  // CRI command replaces the Entrypoint
  command.add_command("powershell.exe");
  EXPECT_FALSE(FirstArgIsEscapedCommandLine(command, cmd_only));
  EXPECT_FALSE(FirstArgIsEscapedCommandLine(command, with_entrypoint));

  ImageConfig not_escaped = with_entrypoint;
  not_escaped.args_escaped = false;
  EXPECT_FALSE(FirstArgIsEscapedCommandLine(none, not_escaped));
}

}  // namespace
}  // namespace silo::runtime::container
