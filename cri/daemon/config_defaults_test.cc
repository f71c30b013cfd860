#include "cri/daemon/config_defaults.h"

#include <string>

#include "gtest/gtest.h"
#include "runtime/base/file_util.h"
#include "tests/support/build_paths.h"

namespace silo::cri {
namespace {

TEST(ConfigDefaultsTest, WindowsDefaultsAreNativeToWindows) {
  Config c = DefaultConfig(ConfigPlatform::kWindows);
  EXPECT_EQ(c.root, "C:\\ProgramData\\silo\\root");
  EXPECT_EQ(c.state, "C:\\ProgramData\\silo\\state");
  EXPECT_EQ(c.listen, "npipe://./pipe/silo");
  // A service's stderr goes nowhere: the log is a rotating file.
  EXPECT_EQ(c.log.file, "C:\\ProgramData\\silo\\logs\\silod.log");
  EXPECT_GE(c.log.max_size_mb, 1u);
  EXPECT_GE(c.log.max_files, 2);
  EXPECT_EQ(c.cni.bin_dirs, std::vector<std::string>{"C:\\Program Files\\silo\\cni\\bin"});
  EXPECT_EQ(c.cni.conf_dir, "C:\\Program Files\\silo\\cni\\conf");
  EXPECT_EQ(c.sandbox.image, "registry.k8s.io/pause:3.10.1");
  EXPECT_EQ(c.runtime.default_handler, "runhcs-wcow-process");
  ASSERT_EQ(c.runtime.handlers.size(), 2u);
  EXPECT_EQ(c.runtime.handlers[0].name, "runhcs-wcow-process");
  EXPECT_EQ(c.runtime.handlers[0].type, "process");
  // HostProcess pods come to the default handler; this type claims them.
  EXPECT_EQ(c.runtime.handlers[1].type, "hostprocess");

  absl::Status windows = ValidateConfig(c, ConfigPlatform::kWindows);
  EXPECT_TRUE(windows.ok()) << windows;
  absl::Status on_linux = ValidateConfig(c, ConfigPlatform::kLinux);
  EXPECT_NE(on_linux.message().find("config root:"), std::string::npos) << on_linux;
}

TEST(ConfigDefaultsTest, LinuxDefaultsAreTheStructDefaults) {
  Config c = DefaultConfig(ConfigPlatform::kLinux);
  EXPECT_EQ(ConfigToYaml(c), ConfigToYaml(Config{}));
  EXPECT_EQ(c.root, "/var/lib/silo");
  EXPECT_EQ(c.listen, "unix:///run/silo/silod.sock");
  EXPECT_TRUE(c.log.file.empty()) << "journald keeps stderr";
  EXPECT_TRUE(c.sandbox.image.empty()) << "Linux pods have no pause container";
  ASSERT_EQ(c.runtime.handlers.size(), 1u);
  EXPECT_EQ(c.runtime.handlers[0].type, "runc");
  absl::Status s = ValidateConfig(c, ConfigPlatform::kLinux);
  EXPECT_TRUE(s.ok()) << s;
}

// What `silod config default` prints for Windows reads back, under Windows
// rules, to the same defaults, drive-letter paths and all.
TEST(ConfigDefaultsTest, WindowsDefaultYamlRoundTrips) {
  const std::string yaml = ConfigToYaml(DefaultConfig(ConfigPlatform::kWindows));
  EXPECT_NE(yaml.find("C:\\ProgramData\\silo\\root"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("npipe://./pipe/silo"), std::string::npos) << yaml;
  absl::StatusOr<Config> c = ParseConfig(yaml, ConfigPlatform::kWindows);
  ASSERT_TRUE(c.ok()) << c.status() << "\n" << yaml;
  EXPECT_EQ(ConfigToYaml(*c), yaml);
}

// A Windows file names only what it changes; the rest are Windows defaults,
// not Linux ones, and a handler without a type is a process handler.
TEST(ConfigDefaultsTest, MissingKeysTakeThePlatformsDefaults) {
  absl::StatusOr<Config> c = ParseConfig(
      "root: D:\\silo\\root\n"
      "runtime: {default_handler: fast, handlers: [{name: fast}]}\n",
      ConfigPlatform::kWindows);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->root, "D:\\silo\\root");
  EXPECT_EQ(c->state, "C:\\ProgramData\\silo\\state");
  EXPECT_EQ(c->listen, "npipe://./pipe/silo");
  EXPECT_EQ(c->cni.conf_dir, "C:\\Program Files\\silo\\cni\\conf");
  ASSERT_EQ(c->runtime.handlers.size(), 1u);
  EXPECT_EQ(c->runtime.handlers[0].type, "process");

  absl::StatusOr<Config> l = ParseConfig("runtime: {handlers: [{name: \"\"}]}\n", ConfigPlatform::kLinux);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->root, "/var/lib/silo");
  EXPECT_EQ(l->runtime.handlers[0].type, "runc");
}

// Bad Windows values are refused with the key named, as on Linux.
TEST(ConfigDefaultsTest, BadWindowsValuesNameTheKey) {
  const struct {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"root: ProgramData\\silo\n", "config root: \"ProgramData\\silo\" must be an absolute path with a drive letter"},
      {"state: /run/silo\n", "config state:"},
      {"cni: {conf_dir: 'C:'}\n", "config cni.conf_dir:"},
      {"cni: {bin_dirs: ['C:\\opt\\cni\\bin', 'bin']}\n", "config cni.bin_dirs[1]:"},
      {"sandbox: {image: ''}\n", "config sandbox.image:"},
      {"sandbox: {imgae: x}\n", "config sandbox.imgae: unknown key"},
      {"listen: pipe/silo\n", "config listen:"},
  };
  for (const auto& c : cases) {
    absl::Status s = ParseConfig(c.yaml, ConfigPlatform::kWindows).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_NE(s.message().find(c.want), std::string::npos) << c.yaml << " -> " << s;
  }
}

// The default config shipped in the Windows zip (deploy/windows/silod.yaml)
// is the built-in default, key for key.
TEST(ConfigDefaultsTest, ShippedWindowsConfigIsTheDefault) {
  absl::StatusOr<std::string> text = ReadFile(testing::SourceDir() + "/deploy/windows/silod.yaml");
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<Config> shipped = ParseConfig(*text, ConfigPlatform::kWindows);
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  EXPECT_EQ(ConfigToYaml(*shipped), ConfigToYaml(DefaultConfig(ConfigPlatform::kWindows)));
  // Every key is written out, so the file documents them all.
  for (const char* key : {"root:", "state:", "listen:", "file:", "bin_dirs:", "conf_dir:", "image:", "default_handler:",
                          "handlers:", "mirrors:", "stall_timeout_seconds:", "interval:"}) {
    EXPECT_NE(text->find(key), std::string::npos) << key;
  }
}

TEST(ConfigDefaultsTest, NativeDefaultsFollowTheBuild) {
  EXPECT_EQ(ConfigToYaml(NativeDefaultConfig()), ConfigToYaml(DefaultConfig(NativeConfigPlatform())));
}

}  // namespace
}  // namespace silo::cri
