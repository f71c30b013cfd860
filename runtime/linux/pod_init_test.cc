#include "runtime/linux/pod_init.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

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

bool Gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

// silod SIGKILLed after the init was forked but before its record was
// written: nothing could ever stop that init, so it must go by itself.
TEST_F(PodInitTest, AnInitWhoseStarterDiesBeforeItsRecordExits) {
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t silod = ::fork();
  ASSERT_GE(silod, 0);
  if (silod == 0) {
    ::close(report[0]);
    (void)internal::StartPodInit(dir_, [&](pid_t init) {
      (void)!::write(report[1], &init, sizeof(init));
      ::raise(SIGKILL);
    });
    ::_exit(1);  // the hook never returns
  }
  ::close(report[1]);
  pid_t init = 0;
  ASSERT_EQ(::read(report[0], &init, sizeof(init)), static_cast<ssize_t>(sizeof(init)));
  ::close(report[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(silod, &status, 0), silod);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = Gone(init);
    if (!gone) ::usleep(10'000);
  }
  if (!gone) ::kill(init, SIGKILL);  // do not leak it from the test either
  EXPECT_TRUE(gone) << "the pod init " << init << " outlived the silod that started it";
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/pid-init"));
}

}  // namespace
}  // namespace silo::runtime::linux_backend
