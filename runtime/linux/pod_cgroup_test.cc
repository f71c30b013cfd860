// Real cgroupfs (needs root): each test works under a unique parent.

#include "runtime/linux/pod_cgroup.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/base/ids.h"

namespace silo::runtime::linux_backend {
namespace {

class PodCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    options_.parent = "silo-test-" + RandomHex(6);
    auto cg = PodCgroups::Open(options_);
    ASSERT_TRUE(cg.ok()) << cg.status();
    cg_ = std::make_unique<PodCgroups>(*cg);
  }
  void TearDown() override {
    if (!cg_) return;
    auto ids = cg_->List();
    if (ids.ok()) {
      for (const auto& id : *ids) (void)cg_->Remove(id);
    }
    for (const auto& d : cg_->Dirs("x")) ::rmdir(std::filesystem::path(d).parent_path().c_str());
  }
  PodCgroups::Options options_;
  std::unique_ptr<PodCgroups> cg_;
};

TEST_F(PodCgroupTest, CreateMakesOneDirPerHierarchyAndRemoveDeletesThem) {
  auto path = cg_->Create("pod1");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, absl::StrCat("/", options_.parent, "/pod1"));
  auto dirs = cg_->Dirs("pod1");
  ASSERT_EQ(dirs.size(), cg_->mode() == CgroupMode::kV2 ? 1u : 3u);
  for (const auto& d : dirs) {
    EXPECT_TRUE(std::filesystem::exists(d + "/cgroup.procs")) << d;
  }
  EXPECT_TRUE(cg_->Create("pod1").ok()) << "create is idempotent";
  auto ids = cg_->List();
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<std::string>{"pod1"});

  ASSERT_TRUE(cg_->Remove("pod1").ok());
  for (const auto& d : dirs) EXPECT_FALSE(std::filesystem::exists(d)) << d;
  EXPECT_TRUE(cg_->Remove("pod1").ok()) << "remove is idempotent";
  EXPECT_TRUE(cg_->List()->empty());
}

TEST_F(PodCgroupTest, RemoveFailsClearlyWhileAProcessRemains) {
  ASSERT_TRUE(cg_->Create("busy").ok());
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  std::string procs = cg_->Dirs("busy")[0] + "/cgroup.procs";
  FILE* f = ::fopen(procs.c_str(), "w");
  ASSERT_NE(f, nullptr);
  ::fprintf(f, "%d", child);
  ASSERT_EQ(::fclose(f), 0);

  absl::Status s = cg_->Remove("busy");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("processes remain"), std::string::npos) << s;
  EXPECT_NE(s.message().find(std::to_string(child)), std::string::npos) << s;

  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(cg_->Remove("busy").ok());
  EXPECT_TRUE(cg_->List()->empty());
}

TEST_F(PodCgroupTest, RejectsNamesThatEscape) {
  EXPECT_EQ(cg_->Create("../evil").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cg_->Remove("").code(), absl::StatusCode::kInvalidArgument);
  PodCgroups::Options bad;
  bad.parent = "/abs";
  EXPECT_EQ(PodCgroups::Open(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::runtime::linux_backend
