#include "image/layers/safe_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "image/layers/testing/temp_dir.h"

namespace silo::image::layers {
namespace {

using Parts = std::vector<std::string>;

TEST(SplitMemberPathTest, NormalisesLikeTar) {
  EXPECT_EQ(*SplitMemberPath("a/b/c"), (Parts{"a", "b", "c"}));
  EXPECT_EQ(*SplitMemberPath("/abs/evil"), (Parts{"abs", "evil"}));
  EXPECT_EQ(*SplitMemberPath("./a//b/./"), (Parts{"a", "b"}));
  EXPECT_EQ(*SplitMemberPath("./"), Parts{});
  EXPECT_EQ(*SplitMemberPath("..."), Parts{"..."});
}

TEST(SplitMemberPathTest, RejectsDotDot) {
  for (const char* bad : {"../evil", "a/../../evil", "a/..", "/../x", "a/../b"}) {
    auto r = SplitMemberPath(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find(bad), absl::string_view::npos) << r.status();
  }
}

TEST(OpenDirBeneathTest, CreatesAndRefusesSymlinks) {
  testing::TempDir tmp;
  ScopedFd root(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(root.valid());
  auto d = OpenDirBeneath(root.get(), Parts{"x", "y"}, true);
  ASSERT_TRUE(d.ok()) << d.status();
  struct stat st;
  ASSERT_EQ(::stat(tmp.Sub("x/y").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));

  ASSERT_EQ(::symlink("/", tmp.Sub("link").c_str()), 0);
  auto l = OpenDirBeneath(root.get(), Parts{"link", "etc"}, true);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(l.status().message().find("symlink"), absl::string_view::npos);

  EXPECT_EQ(OpenDirBeneath(root.get(), Parts{"missing"}, false).status().code(), absl::StatusCode::kNotFound);
}

TEST(RemoveTreeTest, RemovesWithoutFollowingSymlinks) {
  testing::TempDir tmp;
  ASSERT_EQ(::mkdir(tmp.Sub("keep").c_str(), 0755), 0);
  ASSERT_EQ(::close(::creat(tmp.Sub("keep/file").c_str(), 0644)), 0);
  ASSERT_EQ(::mkdir(tmp.Sub("gone").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(tmp.Sub("gone/locked").c_str(), 0), 0);
  ASSERT_EQ(::symlink(tmp.Sub("keep").c_str(), tmp.Sub("gone/link").c_str()), 0);
  ASSERT_TRUE(RemoveTree(tmp.Sub("gone")).ok());
  struct stat st;
  EXPECT_NE(::lstat(tmp.Sub("gone").c_str(), &st), 0);
  EXPECT_EQ(::stat(tmp.Sub("keep/file").c_str(), &st), 0);
  EXPECT_TRUE(RemoveTree(tmp.Sub("never-existed")).ok());
}

}  // namespace
}  // namespace silo::image::layers
