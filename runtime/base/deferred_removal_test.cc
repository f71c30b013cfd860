#include "runtime/base/deferred_removal.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace silo {
namespace {
namespace fs = std::filesystem;

// A fresh folder per test, removed at the end.
class TempDir {
 public:
  TempDir() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (fs::temp_directory_path() / ("silo-deferred-removal-" + std::string(test->name()))).string();
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void MakeTree(const fs::path& root) {
  fs::create_directories(root / "upper" / "etc");
  fs::create_directories(root / "work" / "work");
  std::ofstream(root / "upper" / "etc" / "hosts") << "127.0.0.1 localhost\n";
  std::ofstream(root / "config.json") << "{}";
}

size_t Count(const fs::path& dir) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it) ++n;
  return n;
}

TEST(DeferredRemovalTest, TheNameIsGoneAtOnceAndTheTreeAfterDrain) {
  TempDir dir;
  const fs::path tree = fs::path(dir.path()) / "c1";
  MakeTree(tree);
  DeferredRemoval removal;
  ASSERT_TRUE(removal.Discard(tree.string()).ok());
  EXPECT_FALSE(fs::exists(tree));
  removal.Drain();
  EXPECT_EQ(Count(DeferredRemoval::TrashDir(dir.path())), 0u);
}

TEST(DeferredRemovalTest, AMissingPathIsFine) {
  TempDir dir;
  DeferredRemoval removal;
  EXPECT_TRUE(removal.Discard(dir.path() + "/absent").ok());
  EXPECT_FALSE(fs::exists(DeferredRemoval::TrashDir(dir.path())));
}

TEST(DeferredRemovalTest, TheSameNameDiscardedTwiceKeepsBothApartUntilDeleted) {
  TempDir dir;
  const fs::path tree = fs::path(dir.path()) / "c1";
  DeferredRemoval removal;
  MakeTree(tree);
  ASSERT_TRUE(removal.Discard(tree.string()).ok());
  MakeTree(tree);
  ASSERT_TRUE(removal.Discard(tree.string()).ok());
  removal.Drain();
  EXPECT_FALSE(fs::exists(tree));
  EXPECT_EQ(Count(DeferredRemoval::TrashDir(dir.path())), 0u);
}

TEST(DeferredRemovalTest, SweepDeletesWhatAnEarlierProcessLeftInTheTrash) {
  TempDir dir;
  // As a process killed between its rename and the deletion leaves it.
  MakeTree(fs::path(DeferredRemoval::TrashDir(dir.path())) / "c1.123.1");
  MakeTree(fs::path(DeferredRemoval::TrashDir(dir.path())) / "c2.123.2");
  DeferredRemoval removal;
  removal.Sweep(dir.path());
  removal.Drain();
  EXPECT_EQ(Count(DeferredRemoval::TrashDir(dir.path())), 0u);
}

TEST(DeferredRemovalTest, DestructionFinishesQueuedDeletions) {
  TempDir dir;
  {
    DeferredRemoval removal;
    for (int i = 0; i < 20; ++i) {
      const fs::path tree = fs::path(dir.path()) / ("c" + std::to_string(i));
      MakeTree(tree);
      ASSERT_TRUE(removal.Discard(tree.string()).ok());
    }
  }
  EXPECT_EQ(Count(DeferredRemoval::TrashDir(dir.path())), 0u);
}

}  // namespace
}  // namespace silo
