// Hostile layers: every case must fail naming the entry (or, for absolute
// names, land inside the target), remove the partial target, and leave
// everything outside the target exactly as it was.

#include <archive_entry.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <random>
#include <sstream>

#include "gtest/gtest.h"
#include "image/layers/testing/tar_builder.h"
#include "image/layers/testing/temp_dir.h"
#include "image/layers/unpack.h"
#include "runtime/base/file_util.h"

namespace silo::image::layers {
namespace {

using testing::Compress;
using testing::TarBuilder;
using testing::TarMember;
using testing::TempDir;

// Recursive listing (path -> type, size, mode, mtime) of a tree, skipping one subtree.
void Snapshot(const std::string& dir, const std::string& skip, std::map<std::string, std::string>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* de = ::readdir(d)) {
    std::string name = de->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    if (path == skip) continue;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    // The target's parent legitimately changes mtime (target created, removed).
    const bool target_parent = skip.rfind(path + "/", 0) == 0 && skip.find('/', path.size() + 1) == std::string::npos;
    (*out)[path] = absl::StrCat(st.st_mode, "/", st.st_size, "/", target_parent ? 0 : st.st_nlink, "/",
                                target_parent ? 0 : st.st_mtim.tv_sec, ".", target_parent ? 0 : st.st_mtim.tv_nsec);
    if (S_ISDIR(st.st_mode)) Snapshot(path, skip, out);
  }
  ::closedir(d);
}

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Target sits deep so relative escapes land inside `tmp_`, where the
    // snapshot sees them.
    ASSERT_TRUE(MakeDirs(tmp_.Sub("a/b/c")).ok());
    ASSERT_TRUE(MakeDirs(tmp_.Sub("sentinel")).ok());
    ASSERT_TRUE(AtomicWriteFile(tmp_.Sub("sentinel/file"), "precious").ok());
    target_ = tmp_.Sub("a/b/c/target");
    Snapshot(tmp_.path(), target_, &before_);
    etc_evil_existed_ = ::access("/etc/evil", F_OK) == 0;
  }

  // Unpacks and checks the invariants every hostile case shares.
  absl::Status Run(const std::string& blob, const UnpackOptions& options = {}) {
    std::istringstream in(blob);
    IstreamSource src(in);
    absl::Status s = Unpack(src, target_, options).status();
    std::map<std::string, std::string> after;
    Snapshot(tmp_.path(), target_, &after);
    EXPECT_EQ(before_, after) << "something changed outside the target";
    EXPECT_EQ(*ReadFile(tmp_.Sub("sentinel/file")), "precious");
    if (!etc_evil_existed_) {
      EXPECT_NE(::access("/etc/evil", F_OK), 0) << "/etc/evil was created";
    }
    if (!s.ok()) {
      EXPECT_NE(::access(target_.c_str(), F_OK), 0) << "partial target not removed";
    }
    return s;
  }

  void ExpectRejected(const absl::Status& s, const std::string& entry) {
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(absl::StrCat("entry \"", entry)), absl::string_view::npos)
        << "error does not name " << entry << ": " << s;
  }

  TempDir tmp_;
  std::string target_;
  std::map<std::string, std::string> before_;
  bool etc_evil_existed_ = false;
};

TEST_F(HostileTest, DotDotEscape) {
  TarBuilder b;
  b.File("ok", "1").File("../evil", "x");
  ExpectRejected(Run(b.Finish()), "../evil");
}

TEST_F(HostileTest, NestedDotDotEscape) {
  TarBuilder b;
  b.Dir("a").File("a/../../evil", "x");
  ExpectRejected(Run(b.Finish()), "a/../../evil");
}

TEST_F(HostileTest, AbsolutePathLandsInsideTarget) {
  TarBuilder b;
  b.File("/abs/evil", "inside");
  ASSERT_TRUE(Run(b.Finish()).ok());
  EXPECT_EQ(*ReadFile(target_ + "/abs/evil"), "inside");
}

TEST_F(HostileTest, WriteThroughSymlinkToRoot) {
  TarBuilder b;
  b.Symlink("link", "/").File("link/etc/evil", "x");
  ExpectRejected(Run(b.Finish()), "link/etc/evil");
}

TEST_F(HostileTest, WriteThroughRelativeEscapingSymlink) {
  TarBuilder b;
  b.Symlink("link", "../../..").File("link/x", "x");
  ExpectRejected(Run(b.Finish()), "link/x");
}

TEST_F(HostileTest, DirectoryThroughSymlink) {
  TarBuilder b;
  b.Symlink("link", "../../..").Dir("link/newdir");
  ExpectRejected(Run(b.Finish()), "link/newdir");
}

TEST_F(HostileTest, WhiteoutThroughSymlink) {
  TarBuilder b;
  b.Symlink("link", tmp_.Sub("sentinel")).File("link/.wh.file", "");
  ExpectRejected(Run(b.Finish()), "link/.wh.file");
}

TEST_F(HostileTest, OpaqueThroughSymlink) {
  TarBuilder b;
  b.Symlink("link", tmp_.Sub("sentinel")).File("link/.wh..wh..opq", "");
  ExpectRejected(Run(b.Finish()), "link/.wh..wh..opq");
}

TEST_F(HostileTest, WhiteoutNamingDotDot) {
  TarBuilder b;
  b.File(".wh...", "");
  ExpectRejected(Run(b.Finish()), ".wh...");
}

TEST_F(HostileTest, FileOverSymlinkReplacesTheLink) {
  TarBuilder b;
  b.Symlink("f", tmp_.Sub("sentinel/file")).File("f", "overwritten?");
  ASSERT_TRUE(Run(b.Finish()).ok());  // Run() checks the sentinel still reads "precious"
  EXPECT_EQ(*ReadFile(target_ + "/f"), "overwritten?");
}

TEST_F(HostileTest, HardlinkToEtcPasswd) {
  TarBuilder b;
  b.Hardlink("passwd", "/etc/passwd");
  ExpectRejected(Run(b.Finish()), "passwd");
  struct stat st;
  ASSERT_EQ(::stat("/etc/passwd", &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST_F(HostileTest, HardlinkToOutside) {
  TarBuilder b;
  b.Hardlink("out", "../outside");
  ExpectRejected(Run(b.Finish()), "out");
}

TEST_F(HostileTest, HardlinkToSentinelAbsolute) {
  TarBuilder b;
  b.Hardlink("h", tmp_.Sub("sentinel/file"));
  ExpectRejected(Run(b.Finish()), "h");
}

TEST_F(HostileTest, HardlinkThroughSymlink) {
  TarBuilder b;
  b.Symlink("s", tmp_.Sub("sentinel")).Hardlink("h", "s/file");
  ExpectRejected(Run(b.Finish()), "h");
}

TEST_F(HostileTest, HardlinkToEscapingSymlinkLinksTheSymlinkItself) {
  TarBuilder b;
  b.Symlink("s", "/etc/passwd").Hardlink("h", "s");
  ASSERT_TRUE(Run(b.Finish()).ok());
  struct stat st;
  ASSERT_EQ(::lstat((target_ + "/h").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(HostileTest, DeviceNodeWithoutAllow) {
  TarBuilder b;
  b.Add({.path = "dev/sda", .type = AE_IFBLK, .mode = 0660, .dev_major = 8, .dev_minor = 0});
  ExpectRejected(Run(b.Finish()), "dev/sda");
}

TEST_F(HostileTest, OversizeEntry) {
  TarBuilder b;
  b.File("small", "1").File("big", std::string(4096, 'b'));
  UnpackOptions opts;
  opts.max_entry_bytes = 1024;
  absl::Status s = Run(b.Finish(), opts);
  ExpectRejected(s, "big");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(HostileTest, SparseOversizeEntryByDeclaredSize) {
  // The header claims far more than the data; the claim alone is refused.
  TarBuilder b;
  b.Add({.path = "huge", .content = "", .declared_size = 1 << 20});
  UnpackOptions opts;
  opts.max_entry_bytes = 1024;
  ExpectRejected(Run(b.Finish(), opts), "huge");
}

TEST_F(HostileTest, TotalBytesLimit) {
  TarBuilder b;
  b.File("one", std::string(3000, '1')).File("two", std::string(3000, '2'));
  UnpackOptions opts;
  opts.max_total_bytes = 5000;
  absl::Status s = Run(b.Finish(), opts);
  ExpectRejected(s, "two");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(HostileTest, TooManyEntries) {
  TarBuilder b;
  for (int i = 0; i < 5; ++i) b.File(absl::StrCat("f", i), "x");
  UnpackOptions opts;
  opts.max_entries = 3;
  ExpectRejected(Run(b.Finish(), opts), "f3");
}

TEST_F(HostileTest, TruncatedGzip) {
  std::mt19937 rng(42);
  TarBuilder b;
  for (int i = 0; i < 6; ++i) {
    std::string data(50000, '\0');
    for (char& c : data) c = static_cast<char>(rng());  // incompressible: the cut lands mid-archive
    b.File(absl::StrCat("file", i), data);
  }
  std::string blob = Compress(b.Finish(), Compression::kGzip);
  blob.resize(blob.size() / 2);
  absl::Status s = Run(blob);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("\"file"), absl::string_view::npos) << "error names no entry: " << s;
}

TEST_F(HostileTest, GarbageIsNotATar) {
  absl::Status s = Run(std::string(4096, 'z'));
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace silo::image::layers
