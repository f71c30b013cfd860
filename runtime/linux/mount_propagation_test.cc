#include "runtime/linux/mount_propagation.h"

#include "gtest/gtest.h"

namespace silo::runtime::linux_backend {
namespace {

constexpr char kMountinfo[] =
    "21 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "30 21 0:25 / /tmp rw,nosuid - tmpfs tmpfs rw\n"
    "31 30 0:26 / /tmp/vol rw shared:7 - tmpfs tmpfs rw\n"
    "32 30 0:27 / /tmp/slave rw master:7 - tmpfs tmpfs rw\n"
    "33 30 0:28 / /tmp/with\\040space rw shared:9 master:3 - tmpfs tmpfs rw\n"
    "34 30 0:29 / /tmp/vol rw - tmpfs tmpfs rw\n";

TEST(MountPropagationTest, LongestCoveringMountPointWinsAndItsPropagationIsRead) {
  auto m = MountPointIn(kMountinfo, "/tmp/slave/a/b");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->path, "/tmp/slave");
  EXPECT_FALSE(m->shared);
  EXPECT_TRUE(m->slave);

  m = MountPointIn(kMountinfo, "/tmp/other");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->path, "/tmp");
  EXPECT_FALSE(m->shared || m->slave);

  m = MountPointIn(kMountinfo, "/etc");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->path, "/");
  EXPECT_TRUE(m->shared);
}

TEST(MountPropagationTest, APrefixThatIsNotAParentDirectoryDoesNotCover) {
  auto m = MountPointIn(kMountinfo, "/tmp/slaveish");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->path, "/tmp");
}

TEST(MountPropagationTest, TheLastMountOnAPointCoversEarlierOnes) {
  auto m = MountPointIn(kMountinfo, "/tmp/vol/x");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->path, "/tmp/vol");
  EXPECT_FALSE(m->shared) << "mount 34 covers the shared mount 31";
}

TEST(MountPropagationTest, EscapedMountPointsAreUnescaped) {
  auto m = MountPointIn(kMountinfo, "/tmp/with space/d");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->path, "/tmp/with space");
  EXPECT_TRUE(m->shared && m->slave);
}

TEST(MountPropagationTest, NoCoveringMountIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(MountPointIn("", "/x").status()));
}

}  // namespace
}  // namespace silo::runtime::linux_backend
