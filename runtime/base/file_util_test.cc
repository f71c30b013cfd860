#include "runtime/base/file_util.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"

namespace silo {
namespace {

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-file-util-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FileUtilTest, AtomicWriteReplacesAndLeavesNoTemporaries) {
  std::string path = dir_ + "/f";
  ASSERT_TRUE(AtomicWriteFile(path, "one").ok());
  ASSERT_TRUE(AtomicWriteFile(path, "two", 0600).ok());
  EXPECT_EQ(*ReadFile(path), "two");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  int entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(FileUtilTest, ReadMissingIsNotFoundWithPath) {
  auto r = ReadFile(dir_ + "/missing");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("missing"), std::string::npos);
}

TEST_F(FileUtilTest, AtomicWriteIntoMissingDirFails) {
  EXPECT_EQ(AtomicWriteFile(dir_ + "/nope/f", "x").code(), absl::StatusCode::kNotFound);
}

TEST_F(FileUtilTest, MakeDirsCreatesNestedAndRejectsFiles) {
  ASSERT_TRUE(MakeDirs(dir_ + "/a/b/c").ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/a/b/c"));
  ASSERT_TRUE(AtomicWriteFile(dir_ + "/file", "x").ok());
  EXPECT_FALSE(MakeDirs(dir_ + "/file").ok());
}

}  // namespace
}  // namespace silo
