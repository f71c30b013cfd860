#include "runtime/windows/hostprocess/environment_block.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace silo::runtime::windows::hostprocess {
namespace {

TEST(EnvironmentBlock, RoundTripsEntriesThroughADoubleNulBlock) {
  std::wstring block = BuildEnvironmentBlock({"A=1", "Path=C:\\x;C:\\y", "EMPTY="});
  EXPECT_EQ(block.size(), std::wstring(L"A=1").size() + 1 + std::wstring(L"Path=C:\\x;C:\\y").size() + 1 + 6 + 1 + 1);
  EXPECT_EQ(block.back(), L'\0');
  EXPECT_THAT(ParseEnvironmentBlock(block.c_str()), testing::ElementsAre("A=1", "Path=C:\\x;C:\\y", "EMPTY="));
}

TEST(EnvironmentBlock, EmptyListIsTwoNuls) {
  std::wstring block = BuildEnvironmentBlock({});
  EXPECT_EQ(block, std::wstring(2, L'\0'));
  EXPECT_TRUE(ParseEnvironmentBlock(block.c_str()).empty());
  EXPECT_TRUE(ParseEnvironmentBlock(nullptr).empty());
}

}  // namespace
}  // namespace silo::runtime::windows::hostprocess
