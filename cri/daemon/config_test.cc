#include "cri/daemon/config.h"

#include <algorithm>
#include <map>
#include <string>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "runtime/base/file_util.h"
#include "tests/support/build_paths.h"

namespace silo::cri {
namespace {

absl::Status ParseError(const std::string& yaml) { return ParseConfig(yaml).status(); }

TEST(ConfigTest, EmptyTextGivesDefaults) {
  auto c = ParseConfig("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->root, "/var/lib/silo");
  EXPECT_EQ(c->listen, "unix:///run/silo/silod.sock");
  // Neither the metrics nor the streaming server is reachable off the node
  // unless the operator says so: both default to loopback.
  EXPECT_EQ(c->metrics.address, "127.0.0.1:9464");
  EXPECT_EQ(c->streaming.address, "127.0.0.1:0");
  EXPECT_EQ(c->runtime.binary, "runc");
  ASSERT_EQ(c->runtime.handlers.size(), 1u);
  // Windows pods get a pause compute system unless pauseless is chosen.
  EXPECT_EQ(c->sandbox.holder, "pause");
}

TEST(ConfigTest, PauselessWindowsPodsAreAnExplicitChoice) {
  auto c = ParseConfig("sandbox: {holder: none, image: mcr.microsoft.com/oss/kubernetes/pause:3.9}");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sandbox.holder, "none");
  EXPECT_EQ(c->sandbox.image, "mcr.microsoft.com/oss/kubernetes/pause:3.9");
}

TEST(ConfigTest, DefaultYamlRoundTripsWithEveryKey) {
  std::string yaml = ConfigToYaml(Config{});
  for (const char* key : {"root:", "state:", "listen:", "level:", "format:", "max_size_mb:", "bin_dirs:",
                          "conf_dir:", "mirrors:", "insecure:", "credentials_file:", "stall_timeout_seconds:",
                          "max_download_bytes_per_sec:", "address:",
                          "tls_cert:", "enabled:", "binary:", "cgroup_driver:", "handlers:", "holder:", "image:"}) {
    EXPECT_NE(yaml.find(key), std::string::npos) << key << " missing from\n" << yaml;
  }
  auto c = ParseConfig(yaml);
  ASSERT_TRUE(c.ok()) << c.status() << "\n" << yaml;
  EXPECT_EQ(ConfigToYaml(*c), yaml);
}

TEST(ConfigTest, FullConfigRoundTrips) {
  auto c = ParseConfig(R"(
root: /data/silo
state: /run/s
listen: unix:///run/s/silod.sock
log: {level: debug, format: json, file: /var/log/silod.log, max_size_mb: 10, max_files: 3}
cni: {bin_dirs: [/opt/cni/bin], conf_dir: /etc/cni/net.d}
registry:
  mirrors:
    docker.io: [http://127.0.0.1:5000, https://mirror.local]
  insecure: [127.0.0.1:5000]
  credentials_file: /etc/silo/creds.yaml
  stall_timeout_seconds: 15
  max_download_bytes_per_sec: 1048576
streaming: {address: "127.0.0.1:10010"}
metrics: {enabled: false, address: "0.0.0.0:9999"}
runtime:
  binary: /usr/sbin/runc
  default_handler: fast
  handlers:
    - {name: fast, type: runc}
    - {name: "", type: runc, user_namespaces: true}
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->log.level, "debug");
  EXPECT_EQ(c->log.max_files, 3);
  EXPECT_EQ(c->registry.mirrors.at("docker.io").size(), 2u);
  EXPECT_EQ(c->registry.stall_timeout_seconds, 15);
  EXPECT_EQ(c->registry.max_download_bytes_per_sec, 1048576);
  EXPECT_FALSE(c->metrics.enabled);
  EXPECT_EQ(c->runtime.handlers[1].user_namespaces, true);
  auto again = ParseConfig(ConfigToYaml(*c));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ConfigToYaml(*again), ConfigToYaml(*c));
}

TEST(ConfigTest, UnknownKeysNameTheirPath) {
  absl::Status s = ParseError("rooot: /x\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("rooot"), std::string::npos) << s;
  s = ParseError("log:\n  levle: debug\n");
  EXPECT_NE(s.message().find("log.levle: unknown key"), std::string::npos) << s;
  s = ParseError("runtime:\n  handlers:\n    - {name: a, tpye: runc}\n");
  EXPECT_NE(s.message().find("runtime.handlers[0].tpye"), std::string::npos) << s;
}

// Found by the config fuzzer: a key that is a sequence or a mapping used to
// throw out of the parser and take silod down.
TEST(ConfigTest, NonScalarKeysAreErrorsNotCrashes) {
  for (const char* text : {"[x]: 1", "runtime:\n  {a: b}: 1", "registry:\n  mirrors:\n    [h]: [x]"}) {
    auto c = ParseConfig(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_NE(c.status().message().find("keys must be"), std::string::npos) << c.status();
  }
}

TEST(ConfigTest, BadValuesNameTheirPath) {
  struct Case {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"root: relative/dir", "root: \"relative/dir\" must be an absolute path"},
      {"listen: /run/x.sock", "listen:"},
      {"log: {level: loud}", "log.level: unknown level"},
      {"log: {max_files: many}", "log.max_files: cannot parse"},
      {"log: {max_size_mb: 0}", "log.max_size_mb"},
      {"metrics: {address: nohost}", "metrics.address"},
      {"metrics: {address: '127.0.0.1:99999'}", "metrics.address"},
      {"metrics: {enabled: maybe}", "metrics.enabled: cannot parse"},
      {"registry: {mirrors: {docker.io: [ftp://x]}}", "registry.mirrors.docker.io[0]"},
      {"cni: {bin_dirs: opt}", "cni.bin_dirs: must be a list"},
      {"registry: {stall_timeout_seconds: 0}", "registry.stall_timeout_seconds: must be at least 1"},
      {"registry: {max_download_bytes_per_sec: -5}", "registry.max_download_bytes_per_sec"},
      {"runtime: {cgroup_driver: magic}", "runtime.cgroup_driver"},
      {"runtime: {handlers: [{name: a, type: ''}], default_handler: a}", "runtime.handlers[0].type: must not be empty"},
      {"runtime: {handlers: [{name: a}, {name: a}], default_handler: a}", "duplicate handler"},
      {"runtime: {default_handler: nope}", "runtime.default_handler"},
      {"streaming: {tls_cert: /a}", "tls_cert and tls_key"},
      {"sandbox: {holder: off}", "sandbox.holder: \"off\" is not \"pause\" or \"none\""},
      {"streaming: {idle_timeout: soon}", "streaming.idle_timeout: \"soon\" is not a positive duration"},
      {"streaming: {idle_timeout: 0s}", "streaming.idle_timeout"},
      {"streaming: {token_ttl: forever}", "streaming.token_ttl: \"forever\" is not a positive duration"},
      {"streaming: {idle_timout: 1h}", "streaming.idle_timout: unknown key"},
      {"log: [1, 2]", "log: must be a mapping"},
      {"- a\n- b", "must be a mapping"},
      {"root: [unclosed", "not valid YAML"},
  };
  for (const auto& c : cases) {
    absl::Status s = ParseError(c.yaml);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_NE(s.message().find(c.want), std::string::npos) << c.yaml << " -> " << s;
  }
}

TEST(ConfigTest, MissingFileIsNamed) {
  auto c = LoadConfigFile("/nonexistent/silod.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/silod.yaml"), std::string::npos);
}

TEST(ConfigTest, WindowsPathsAreAbsoluteWithADriveLetter) {
  Config c;
  c.root = "C:/ProgramData/silo/root";
  c.state = "C:\\ProgramData\\silo\\state";
  c.listen = "npipe://./pipe/silo";
  c.cni.bin_dirs = {"C:/opt/cni/bin", "\\\\?\\D:\\cni"};
  c.cni.conf_dir = "\\\\fileserver\\share\\net.d";
  c.runtime.handlers = {RuntimeHandlerConfig{"", "process"}};
  c.sandbox.image = "registry.k8s.io/pause:3.10.1";
  EXPECT_TRUE(ValidateConfig(c, ConfigPlatform::kWindows).ok()) << ValidateConfig(c, ConfigPlatform::kWindows);
  EXPECT_FALSE(ValidateConfig(c, ConfigPlatform::kLinux).ok()) << "a drive letter is not absolute on Linux";

  for (const char* bad : {"/var/lib/silo", "ProgramData/silo", "C:", "C:relative", "\\\\"}) {
    Config b = c;
    b.root = bad;
    absl::Status s = ValidateConfig(b, ConfigPlatform::kWindows);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("config root:"), std::string::npos) << s;
    EXPECT_NE(s.message().find("drive letter"), std::string::npos) << s;
  }
}

// The config deploy/windows/install.ps1 writes, rendered from the script's
// own template with its default parameters, loads as silod.exe would load it.
TEST(ConfigTest, ConfigWrittenByTheWindowsInstallerLoads) {
  absl::StatusOr<std::string> script = ReadFile(testing::SourceDir() + "/deploy/windows/install.ps1");
  ASSERT_TRUE(script.ok()) << script.status();
  const size_t begin = script->find("$yaml = @\"\n");
  const size_t end = script->find("\n\"@", begin);
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string yaml = script->substr(begin + 10, end - begin - 10);
  // The script's parameters at their defaults, as PowerShell expands them.
  const std::map<std::string, std::string> params = {{"DataDir", "C:\\ProgramData\\silo"},
                                                     {"PipeName", "silo"},
                                                     {"CniBinDir", "C:\\Program Files\\silo\\cni\\bin"},
                                                     {"CniConfDir", "C:\\Program Files\\silo\\cni\\conf"}};
  for (const auto& [name, value] : params) {
    std::string slashed = value;
    std::replace(slashed.begin(), slashed.end(), '\\', '/');
    yaml = absl::StrReplaceAll(yaml, {{"$($" + name + " -replace '\\\\', '/')", slashed}});
    yaml = absl::StrReplaceAll(yaml, {{"$" + name, value}});
  }
  ASSERT_EQ(yaml.find('$'), std::string::npos) << "a template variable was not rendered:\n" << yaml;

  absl::StatusOr<Config> c = ParseConfig(yaml, ConfigPlatform::kWindows);
  ASSERT_TRUE(c.ok()) << c.status() << "\n" << yaml;
  EXPECT_EQ(c->root, "C:/ProgramData/silo/root");
  EXPECT_EQ(c->listen, "npipe://./pipe/silo");
  EXPECT_EQ(c->runtime.default_handler, "runhcs-wcow-process");
  ASSERT_EQ(c->runtime.handlers.size(), 2u);
  EXPECT_EQ(c->runtime.handlers[0].type, "process");
  EXPECT_EQ(c->runtime.handlers[1].type, "hostprocess");
}

}  // namespace
}  // namespace silo::cri
