#include "network/cni/cni_network.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

namespace silo::network::cni {
namespace {

class CniNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-cninet-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(MakeDirs(dir_ + "/bin").ok());
    ASSERT_TRUE(MakeDirs(dir_ + "/net.d").ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CniNetworkTest, NotReadyWithoutConfigThenMissingPluginThenReady) {
  CniNetwork net({dir_ + "/bin"}, dir_ + "/net.d");
  EXPECT_EQ(net.Ready().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(AtomicWriteFile(dir_ + "/net.d/10-pods.conflist",
                              R"({"cniVersion":"1.0.0","name":"pods","plugins":[{"type":"bridge"}]})")
                  .ok());
  absl::Status s = net.Ready();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("\"bridge\" not found"), std::string::npos) << s;

  ASSERT_TRUE(AtomicWriteFile(dir_ + "/bin/bridge", "#!/bin/sh\n", 0755).ok());
  EXPECT_TRUE(net.Ready().ok()) << net.Ready();
}

TEST_F(CniNetworkTest, PluginNamesCannotEscapeBinDirs) {
  CniNetwork net({dir_ + "/bin"}, dir_ + "/net.d");
  EXPECT_EQ(net.FindPlugin("../bin/sh").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::network::cni
