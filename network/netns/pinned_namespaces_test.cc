// Real namespaces (needs root): each test pins under its own temp dir.

#include "network/netns/pinned_namespaces.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <algorithm>
#include <filesystem>
#include <thread>

#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

namespace silo::network::netns {
namespace {

ino_t Inode(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Runs `fn` on a thread that has joined the namespace pinned at `path`.
template <typename Fn>
bool InNamespace(const std::string& path, int nstype, Fn fn) {
  bool ok = false;
  std::thread t([&] {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    if (::setns(fd, nstype) == 0) {
      fn();
      ok = true;
    }
    ::close(fd);
  });
  t.join();
  return ok;
}

bool MountedAnywhere(const std::string& path) {
  auto info = ReadFile("/proc/self/mountinfo");
  return info.ok() && info->find(" " + path + " ") != std::string::npos;
}

class PinnedNamespacesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/silo-netns-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/netns";
  }
  void TearDown() override {
    if (dir_.empty()) return;
    auto names = ListPinned(dir_);
    if (names.ok()) {
      for (const auto& n : *names) (void)RemovePinned(dir_, n);
    }
    std::filesystem::remove_all(std::filesystem::path(dir_).parent_path());
  }
  std::string dir_;
};

TEST_F(PinnedNamespacesTest, CreatesNewNamespacesWithLoUpAndHostname) {
  auto paths = CreatePinned(dir_, "pod1", {true, true, true, "pod-one"});
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(paths->net, dir_ + "/pod1/net");
  EXPECT_NE(Inode(paths->net), Inode("/proc/self/ns/net"));
  EXPECT_NE(Inode(paths->ipc), Inode("/proc/self/ns/ipc"));
  EXPECT_NE(Inode(paths->uts), Inode("/proc/self/ns/uts"));
  EXPECT_NE(Inode(paths->net), 0u);
  EXPECT_TRUE(IsPinned(paths->net));
  EXPECT_TRUE(MountedAnywhere(paths->net));

  short flags = 0;
  ASSERT_TRUE(InNamespace(paths->net, CLONE_NEWNET, [&] {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof(ifr));
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) flags = ifr.ifr_flags;
    ::close(fd);
  }));
  EXPECT_TRUE(flags & IFF_UP);

  char host[128] = {};
  ASSERT_TRUE(InNamespace(paths->uts, CLONE_NEWUTS, [&] { ::gethostname(host, sizeof(host) - 1); }));
  EXPECT_STREQ(host, "pod-one");
  char own[128] = {};
  ::gethostname(own, sizeof(own) - 1);
  EXPECT_STRNE(own, "pod-one");
}

TEST_F(PinnedNamespacesTest, TwoPodsGetDistinctNamespaces) {
  auto a = CreatePinned(dir_, "a", {});
  auto b = CreatePinned(dir_, "b", {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(Inode(a->net), Inode(b->net));
  auto names = ListPinned(dir_);
  ASSERT_TRUE(names.ok());
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b"}));
}

TEST_F(PinnedNamespacesTest, OnlyRequestedKindsArePinned) {
  auto p = CreatePinned(dir_, "ipconly", {false, true, false, ""});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->net.empty());
  EXPECT_TRUE(p->uts.empty());
  EXPECT_TRUE(IsPinned(p->ipc));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/ipconly/net"));
}

TEST_F(PinnedNamespacesTest, RemoveLeavesNoMountNoFileAndIsIdempotent) {
  auto p = CreatePinned(dir_, "gone", {});
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(RemovePinned(dir_, "gone").ok());
  EXPECT_FALSE(MountedAnywhere(p->net));
  EXPECT_FALSE(MountedAnywhere(p->ipc));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/gone"));
  EXPECT_TRUE(RemovePinned(dir_, "gone").ok());
  EXPECT_TRUE(RemovePinnedFile(p->net).ok());
  auto names = ListPinned(dir_);
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
}

TEST_F(PinnedNamespacesTest, RejectsBadNamesAndDuplicates) {
  EXPECT_EQ(CreatePinned(dir_, "../x", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreatePinned(dir_, "", {}).status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(CreatePinned(dir_, "dup", {}).ok());
  EXPECT_EQ(CreatePinned(dir_, "dup", {}).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(IsPinned(dir_ + "/dup/net"));  // the failed duplicate must not undo the first
}

TEST(PinnedNamespacesListTest, MissingDirIsEmpty) {
  auto names = ListPinned("/tmp/silo-netns-does-not-exist-4b1d");
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
}

}  // namespace
}  // namespace silo::network::netns
