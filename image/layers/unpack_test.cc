#include "image/layers/unpack.h"

#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "gtest/gtest.h"
#include "image/layers/testing/tar_builder.h"
#include "image/layers/testing/temp_dir.h"
#include "runtime/base/file_util.h"

namespace silo::image::layers {
namespace {

using testing::Compress;
using testing::Sha256Digest;
using testing::TarBuilder;
using testing::TarMember;
using testing::TempDir;

struct stat Lstat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path << ": " << std::strerror(errno);
  return st;
}

std::string Xattr(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
  return n < 0 ? "<none>" : std::string(buf, n);
}

absl::StatusOr<UnpackStats> UnpackBytes(const std::string& blob, const std::string& target,
                                        const UnpackOptions& options = {}) {
  std::istringstream in(blob);
  IstreamSource src(in);
  return Unpack(src, target, options);
}

std::string RoundTripTar() {
  TarBuilder b;
  b.Add({.path = "etc", .type = AE_IFDIR, .mode = 0755, .mtime = 1600000000});
  b.Add({.path = "etc/hosts", .content = "127.0.0.1 localhost\n", .mode = 0640, .uid = 1000, .gid = 1001,
         .mtime = 1600000100, .xattrs = {{"user.silo.test", "hello"}}});
  b.Add({.path = "bin/tool", .content = std::string(300000, 'x'), .mode = 04755, .uid = 0, .gid = 0});
  b.Symlink("bin/sh", "tool");
  b.Hardlink("bin/tool2", "bin/tool");
  b.Add({.path = "var/empty", .type = AE_IFDIR, .mode = 0700, .uid = 33, .gid = 33, .mtime = 1500000000});
  b.Add({.path = "run/fifo", .type = AE_IFIFO, .mode = 0620});
  b.File("/abs/file", "abs");
  b.File("empty", "");
  return b.Finish();
}

class UnpackRoundTripTest : public ::testing::TestWithParam<Compression> {};

TEST_P(UnpackRoundTripTest, FilesDirsLinksModesOwnersTimes) {
  TempDir tmp;
  const std::string plain = RoundTripTar();
  const std::string root = tmp.Sub("layer");
  auto stats = UnpackBytes(Compress(plain, GetParam()), root);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->files, 9u);
  EXPECT_EQ(stats->bytes, 20u + 300000u + 3u);
  EXPECT_EQ(stats->diff_id, Sha256Digest(plain));
  EXPECT_FALSE(stats->reused);

  struct stat st = Lstat(root + "/etc/hosts");
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000100);
  EXPECT_EQ(*ReadFile(root + "/etc/hosts"), "127.0.0.1 localhost\n");
  EXPECT_EQ(Xattr(root + "/etc/hosts", "user.silo.test"), "hello");

  st = Lstat(root + "/etc");
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);  // survives the later creation of etc/hosts

  struct stat tool = Lstat(root + "/bin/tool");
  EXPECT_EQ(tool.st_mode & 07777, 04755u);  // setuid kept although chown clears it
  EXPECT_EQ(tool.st_size, 300000);
  EXPECT_EQ(*ReadFile(root + "/bin/tool"), std::string(300000, 'x'));
  EXPECT_EQ(tool.st_nlink, 2u);
  struct stat tool2 = Lstat(root + "/bin/tool2");
  EXPECT_EQ(tool2.st_ino, tool.st_ino);

  st = Lstat(root + "/bin/sh");
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  char target[64] = {};
  ASSERT_GT(::readlink((root + "/bin/sh").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "tool");

  st = Lstat(root + "/bin");  // implicit parent
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  st = Lstat(root + "/var/empty");
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, 33u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);

  st = Lstat(root + "/run/fifo");
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);

  EXPECT_EQ(*ReadFile(root + "/abs/file"), "abs");
  EXPECT_EQ(Lstat(root + "/empty").st_size, 0);
}

INSTANTIATE_TEST_SUITE_P(All, UnpackRoundTripTest,
                         ::testing::Values(Compression::kNone, Compression::kGzip, Compression::kZstd));

TEST(UnpackTest, WhiteoutsAndOpaqueDirectories) {
  TempDir tmp;
  TarBuilder b;
  b.Dir("a").File("a/.wh.gone", "");
  b.Dir("b").File("b/.wh..wh..opq", "").File("b/keep", "k");
  b.File("c/.wh.d", "").Dir("c/d");       // deleted then recreated: opaque
  b.File("e/f", "f").File("e/.wh.f", "");  // same-layer file already hides the lower one
  b.File("g/.wh..wh.plnk", "");            // AUFS bookkeeping, ignored
  b.Add({.path = "h", .type = AE_IFDIR, .mode = 0755,
         .xattrs = {{"trusted.overlay.opaque", "y"}, {"trusted.overlay.redirect", "/etc"}}});
  const std::string root = tmp.Sub("layer");
  auto stats = UnpackBytes(Compress(b.Finish(), Compression::kGzip), root);
  ASSERT_TRUE(stats.ok()) << stats.status();

  struct stat st = Lstat(root + "/a/gone");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(major(st.st_rdev), 0u);
  EXPECT_EQ(minor(st.st_rdev), 0u);
  EXPECT_NE(::access((root + "/a/.wh.gone").c_str(), F_OK), 0);
  EXPECT_EQ(Xattr(root + "/a", "trusted.overlay.opaque"), "<none>");

  EXPECT_EQ(Xattr(root + "/b", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(*ReadFile(root + "/b/keep"), "k");
  EXPECT_NE(::access((root + "/b/.wh..wh..opq").c_str(), F_OK), 0);

  EXPECT_TRUE(S_ISDIR(Lstat(root + "/c/d").st_mode));
  EXPECT_EQ(Xattr(root + "/c/d", "trusted.overlay.opaque"), "y");

  EXPECT_EQ(*ReadFile(root + "/e/f"), "f");
  EXPECT_TRUE(S_ISDIR(Lstat(root + "/g").st_mode));
  EXPECT_NE(::access((root + "/g/plnk").c_str(), F_OK), 0);

  // Overlay control xattrs from the archive itself are dropped.
  EXPECT_EQ(Xattr(root + "/h", "trusted.overlay.opaque"), "<none>");
  EXPECT_EQ(Xattr(root + "/h", "trusted.overlay.redirect"), "<none>");
}

// The real consumer: overlayfs must read our whiteouts and opaque markers.
TEST(UnpackTest, OverlayfsHonoursWhiteoutsAndOpaqueDirs) {
  TempDir tmp;
  TarBuilder lower;
  lower.File("keep", "k").File("gone", "g").File("dir/old", "o").File("opq/old", "o");
  TarBuilder upper;
  upper.File(".wh.gone", "").File("dir/new", "n").File("opq/.wh..wh..opq", "").File("opq/new", "n");
  ASSERT_TRUE(UnpackBytes(lower.Finish(), tmp.Sub("lower")).ok());
  ASSERT_TRUE(UnpackBytes(Compress(upper.Finish(), Compression::kZstd), tmp.Sub("upper")).ok());
  ASSERT_EQ(::mkdir(tmp.Sub("merged").c_str(), 0755), 0);
  const std::string opts = "lowerdir=" + tmp.Sub("upper") + ":" + tmp.Sub("lower");
  if (::mount("overlay", tmp.Sub("merged").c_str(), "overlay", MS_RDONLY, opts.c_str()) != 0) {
    GTEST_SKIP() << "cannot mount overlayfs here: " << std::strerror(errno);
  }
  const std::string m = tmp.Sub("merged");
  bool keep = ::access((m + "/keep").c_str(), F_OK) == 0;
  bool gone = ::access((m + "/gone").c_str(), F_OK) == 0;
  bool dir_old = ::access((m + "/dir/old").c_str(), F_OK) == 0;
  bool dir_new = ::access((m + "/dir/new").c_str(), F_OK) == 0;
  bool opq_old = ::access((m + "/opq/old").c_str(), F_OK) == 0;
  bool opq_new = ::access((m + "/opq/new").c_str(), F_OK) == 0;
  ASSERT_EQ(::umount2(m.c_str(), MNT_DETACH), 0);
  EXPECT_TRUE(keep);
  EXPECT_FALSE(gone);
  EXPECT_TRUE(dir_old);
  EXPECT_TRUE(dir_new);
  EXPECT_FALSE(opq_old);
  EXPECT_TRUE(opq_new);
}

TEST(UnpackTest, DevicesOnlyWhenAllowed) {
  TempDir tmp;
  TarBuilder b;
  b.Add({.path = "dev/null", .type = AE_IFCHR, .mode = 0666, .dev_major = 1, .dev_minor = 3});
  const std::string tar = b.Finish();
  UnpackOptions allow;
  allow.allow_devices = true;
  auto stats = UnpackBytes(tar, tmp.Sub("layer"), allow);
  ASSERT_TRUE(stats.ok()) << stats.status();
  struct stat st = Lstat(tmp.Sub("layer/dev/null"));
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
}

TEST(UnpackTest, LaterMembersReplaceEarlierOnes) {
  TempDir tmp;
  TarBuilder b;
  b.File("x", "first").File("x", "second");
  b.Symlink("d", "/etc").Dir("d").File("d/f", "inside");  // a directory replaces the symlink
  b.File("y", "file").Dir("y");
  const std::string root = tmp.Sub("layer");
  auto stats = UnpackBytes(b.Finish(), root);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(*ReadFile(root + "/x"), "second");
  EXPECT_TRUE(S_ISDIR(Lstat(root + "/d").st_mode));
  EXPECT_EQ(*ReadFile(root + "/d/f"), "inside");
  EXPECT_TRUE(S_ISDIR(Lstat(root + "/y").st_mode));
}

TEST(UnpackTest, ReadsFromFdAndVerifiesDiffId) {
  TempDir tmp;
  TarBuilder b;
  b.File("hello", "world");
  const std::string plain = b.Finish();
  const std::string blob_path = tmp.Sub("blob");
  ASSERT_TRUE(AtomicWriteFile(blob_path, Compress(plain, Compression::kZstd)).ok());

  int fd = ::open(blob_path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  UnpackOptions opts;
  opts.media_type = "application/vnd.oci.image.layer.v1.tar+zstd";
  opts.expected_diff_id = Sha256Digest(plain);
  auto stats = Unpack(fd, tmp.Sub("ok"), opts);
  ::close(fd);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(*ReadFile(tmp.Sub("ok/hello")), "world");

  fd = ::open(blob_path.c_str(), O_RDONLY | O_CLOEXEC);
  opts.expected_diff_id = Sha256Digest("something else");
  auto bad = Unpack(fd, tmp.Sub("bad"), opts);
  ::close(fd);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss) << bad.status();
  EXPECT_NE(::access(tmp.Sub("bad").c_str(), F_OK), 0);
}

TEST(UnpackTest, ExistingTargetIsNotReused) {
  TempDir tmp;
  ASSERT_EQ(::mkdir(tmp.Sub("layer").c_str(), 0755), 0);
  TarBuilder b;
  b.File("a", "a");
  auto r = UnpackBytes(b.Finish(), tmp.Sub("layer"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists) << r.status();
  EXPECT_EQ(::access(tmp.Sub("layer").c_str(), F_OK), 0);  // not ours: never removed
}

int CountEntries(const std::string& dir) {
  int n = 0;
  DIR* d = ::opendir(dir.c_str());
  while (struct dirent* de = ::readdir(d)) n += de->d_name[0] != '.';
  ::closedir(d);
  return n;
}

TEST(UnpackToSnapshotTest, AtomicIdempotentAndCleansUp) {
  TempDir tmp;
  TarBuilder b;
  b.File("etc/os-release", "ID=silo\n");
  const std::string plain = b.Finish();
  const std::string blob = Compress(plain, Compression::kGzip);
  const std::string final_dir = tmp.Sub("snap");

  std::istringstream in(blob);
  IstreamSource src(in);
  auto stats = UnpackToSnapshot(src, final_dir);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_FALSE(stats->reused);
  EXPECT_EQ(stats->diff_id, Sha256Digest(plain));
  EXPECT_EQ(*ReadFile(final_dir + "/etc/os-release"), "ID=silo\n");
  EXPECT_EQ(CountEntries(tmp.path()), 1);  // no .tmp-* sibling left

  // Already there: the stream is not even read (garbage would fail).
  std::istringstream garbage("not a layer at all");
  IstreamSource garbage_src(garbage);
  UnpackOptions opts;
  opts.expected_diff_id = Sha256Digest(plain);
  auto again = UnpackToSnapshot(garbage_src, final_dir, opts);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(again->diff_id, Sha256Digest(plain));
  EXPECT_EQ(garbage.tellg(), 0);

  // A failing unpack leaves neither the snapshot nor a temp dir.
  std::string cut = blob.substr(0, blob.size() / 2);
  std::istringstream cut_in(cut);
  IstreamSource cut_src(cut_in);
  auto failed = UnpackToSnapshot(cut_src, tmp.Sub("snap2"));
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(CountEntries(tmp.path()), 1);
}

}  // namespace
}  // namespace silo::image::layers
