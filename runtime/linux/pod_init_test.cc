#include "runtime/linux/pod_init.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace silo::runtime::linux_backend {
namespace {

class PodInitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (PID namespaces, bind mounts)";
    char tmpl[] = "/tmp/silo-podinit-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool Empty() { return std::filesystem::is_empty(dir_); }
  std::string dir_;
};

TEST_F(PodInitTest, StopRemovesTheInitItsPinAndItsRecord) {
  ASSERT_TRUE(StartPodInit(dir_).ok());
  EXPECT_TRUE(std::filesystem::exists(PodPidNamespace(dir_)));
  EXPECT_FALSE(Empty());
  ASSERT_TRUE(StopPodInit(dir_).ok());
  EXPECT_TRUE(Empty());
  EXPECT_TRUE(StopPodInit(dir_).ok()) << "idempotent";
}

// silod killed between AtomicWriteFile's temporary file and its rename
// leaves ".<name>.tmp.*" behind; the pod's directory must still go.
TEST_F(PodInitTest, StopRemovesTemporaryFilesOfAnInterruptedStart) {
  const std::string pin = std::filesystem::path(PodPidNamespace(dir_)).filename().string();
  for (const std::string& name : {"." + pin + ".tmp.AbC123", std::string(".pid-init.tmp.XyZ789")}) {
    std::ofstream(dir_ + "/" + name) << "";
  }
  ASSERT_TRUE(StopPodInit(dir_).ok());
  EXPECT_TRUE(Empty());
}

}  // namespace
}  // namespace silo::runtime::linux_backend
