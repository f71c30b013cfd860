#include "network/cni/conf_loader.h"

#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

namespace silo::network::cni {
namespace {

class ConfLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-cni-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(AtomicWriteFile(dir_ + "/" + name, text).ok());
  }
  std::string dir_;
};

TEST_F(ConfLoaderTest, MissingOrEmptyDirIsNotFound) {
  auto r = FindNetworkConfig(dir_ + "/absent");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  r = FindNetworkConfig(dir_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find(dir_), std::string::npos);
}

TEST_F(ConfLoaderTest, FirstValidFileInLexicalOrderWins) {
  Write("05-broken.conflist", "{not json");
  Write("10-pods.conflist",
        R"({"cniVersion":"1.0.0","name":"pods","plugins":[{"type":"bridge"},{"type":"portmap"}]})");
  Write("20-other.conf", R"({"cniVersion":"1.0.0","name":"other","type":"ptp"})");
  Write("README", "ignored");
  auto r = FindNetworkConfig(dir_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->name, "pods");
  EXPECT_EQ(r->cni_version, "1.0.0");
  ASSERT_EQ(r->plugins.size(), 2u);
  EXPECT_EQ(r->plugins[1]["type"], "portmap");
}

TEST_F(ConfLoaderTest, SingleConfIsPromotedToList) {
  Write("10-one.conf", R"({"cniVersion":"0.4.0","name":"one","type":"bridge","bridge":"cni0"})");
  auto r = FindNetworkConfig(dir_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->raw["plugins"][0]["bridge"], "cni0");
  EXPECT_EQ(r->raw["name"], "one");
}

TEST_F(ConfLoaderTest, InvalidFilesAreExplained) {
  Write("10-noname.conflist", R"({"plugins":[{"type":"bridge"}]})");
  Write("20-notype.conflist", R"({"name":"x","plugins":[{"bridge":"cni0"}]})");
  auto r = FindNetworkConfig(dir_);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("missing network \"name\""), std::string::npos);
  EXPECT_NE(r.status().message().find("needs a \"type\""), std::string::npos);
}

}  // namespace
}  // namespace silo::network::cni
