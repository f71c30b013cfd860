#include "cri/daemon/listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

namespace silo::cri {
namespace {

class ListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-listen-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Binds a unix socket at `path`; listens if `live`. Returns the fd.
  int Bind(const std::string& path, bool live) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    if (live) {
      EXPECT_EQ(listen(fd, 1), 0);
    }
    return fd;
  }
  std::string dir_;
};

TEST_F(ListenerTest, CreatesParentDirAndMapsToGrpcAddress) {
  auto addr = PrepareListenEndpoint("unix://" + dir_ + "/sub/silod.sock");
  ASSERT_TRUE(addr.ok()) << addr.status();
  EXPECT_EQ(*addr, "unix:" + dir_ + "/sub/silod.sock");
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/sub"));
}

TEST_F(ListenerTest, StaleSocketIsReplacedLiveOneRefused) {
  std::string path = dir_ + "/silod.sock";
  int stale = Bind(path, /*live=*/false);
  close(stale);  // the file stays, nobody listens: a dead daemon's socket
  ASSERT_TRUE(PrepareListenEndpoint("unix://" + path).ok());
  EXPECT_FALSE(std::filesystem::exists(path));

  int live = Bind(path, /*live=*/true);
  auto r = PrepareListenEndpoint("unix://" + path);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("already listening"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(path));
  close(live);
}

TEST_F(ListenerTest, RegularFileIsNeverDeleted) {
  std::string path = dir_ + "/silod.sock";
  ASSERT_TRUE(AtomicWriteFile(path, "precious").ok());
  EXPECT_EQ(PrepareListenEndpoint("unix://" + path).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*ReadFile(path), "precious");
}

TEST_F(ListenerTest, SecureSetsMode0660) {
  std::string path = dir_ + "/silod.sock";
  int fd = Bind(path, true);
  ASSERT_TRUE(SecureListenEndpoint("unix://" + path).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  close(fd);
  RemoveListenEndpoint("unix://" + path);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(ListenerTest, RejectsOverlongPathsAndUnknownSchemes) {
  EXPECT_EQ(PrepareListenEndpoint("unix://" + dir_ + "/" + std::string(120, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PrepareListenEndpoint("npipe://./pipe/silo").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ListenerTest, RootLockIsExclusive) {
  // flock locks belong to the open file description, so a second open in this
  // same process conflicts just like a second daemon would.
  ASSERT_TRUE(LockRootDir(dir_).ok());
  absl::Status s = LockRootDir(dir_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("in use by another silod"), std::string::npos) << s;
}

}  // namespace
}  // namespace silo::cri
