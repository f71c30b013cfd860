#include "runtime/base/windows/long_path.h"

#include "gtest/gtest.h"

namespace silo::win32 {
namespace {

TEST(LongPathTest, DriveAbsolutePathIsNormalisedAndPrefixed) {
  EXPECT_EQ(ToLongPath(L"C:\\a\\..\\b/c", L""), L"\\\\?\\C:\\b\\c");
  EXPECT_EQ(ToLongPath(L"c:/ProgramData//silo/./content/", L""), L"\\\\?\\C:\\ProgramData\\silo\\content");
  EXPECT_EQ(ToLongPath(L"C:\\", L""), L"\\\\?\\C:\\");
}

TEST(LongPathTest, DotDotStopsAtTheRoot) {
  EXPECT_EQ(ToLongPath(L"C:\\..\\..\\x", L""), L"\\\\?\\C:\\x");
  EXPECT_EQ(ToLongPath(L"\\\\srv\\share\\..\\..\\y", L""), L"\\\\?\\UNC\\srv\\share\\y");
}

TEST(LongPathTest, UncPathGetsTheUncPrefix) {
  EXPECT_EQ(ToLongPath(L"\\\\srv\\share\\dir\\f", L""), L"\\\\?\\UNC\\srv\\share\\dir\\f");
  EXPECT_EQ(ToLongPath(L"\\\\srv\\share", L""), L"\\\\?\\UNC\\srv\\share");
  EXPECT_EQ(ToLongPath(L"\\\\srv", L""), L"");
}

TEST(LongPathTest, DevicePathsAreKept) {
  EXPECT_EQ(ToLongPath(L"\\\\?\\C:\\a\\..\\b", L""), L"\\\\?\\C:\\a\\..\\b");
  EXPECT_EQ(ToLongPath(L"\\\\.\\pipe\\silo", L""), L"\\\\.\\pipe\\silo");
}

TEST(LongPathTest, RelativePathsResolveAgainstCwd) {
  EXPECT_EQ(ToLongPath(L"x\\y", L"C:\\work"), L"\\\\?\\C:\\work\\x\\y");
  EXPECT_EQ(ToLongPath(L"..\\y", L"C:\\work\\a"), L"\\\\?\\C:\\work\\y");
  EXPECT_EQ(ToLongPath(L"\\rooted", L"D:\\work"), L"\\\\?\\D:\\rooted");
  EXPECT_EQ(ToLongPath(L"C:rel", L"C:\\work"), L"\\\\?\\C:\\work\\rel");
  EXPECT_EQ(ToLongPath(L"E:rel", L"C:\\work"), L"\\\\?\\E:\\rel");
  EXPECT_EQ(ToLongPath(L"f", L"\\\\srv\\share\\d"), L"\\\\?\\UNC\\srv\\share\\d\\f");
  EXPECT_EQ(ToLongPath(L"\\r", L"\\\\srv\\share\\d"), L"\\\\?\\UNC\\srv\\share\\r");
}

TEST(LongPathTest, RelativePathWithoutAbsoluteCwdIsRefused) {
  EXPECT_EQ(ToLongPath(L"x", L"relative"), L"");
  EXPECT_EQ(ToLongPath(L"", L"C:\\"), L"");
}

TEST(LongPathTest, PathsBeyondMaxPathKeepEveryComponent) {
  std::wstring deep = L"C:\\root";
  for (int i = 0; i < 40; ++i) deep += L"\\component";
  std::wstring got = ToLongPath(deep, L"");
  EXPECT_GT(got.size(), 260u);
  EXPECT_EQ(got, L"\\\\?\\" + deep);
}

}  // namespace
}  // namespace silo::win32
