#include "runtime/base/ids.h"

#include <set>

#include "gtest/gtest.h"

namespace silo {
namespace {

TEST(IdsTest, NewIdsAreValidAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewId();
    EXPECT_TRUE(IsValidId(id)) << id;
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(IdsTest, RejectsMalformed) {
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId(std::string(63, 'a')));
  EXPECT_FALSE(IsValidId(std::string(64, 'A')));
  EXPECT_FALSE(IsValidId(std::string(64, 'g')));
  EXPECT_EQ(RandomHex(4).size(), 8u);
}

}  // namespace
}  // namespace silo
