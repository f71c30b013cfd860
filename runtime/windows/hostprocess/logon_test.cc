#include "runtime/windows/hostprocess/logon.h"

#include <gtest/gtest.h>

namespace silo::runtime::windows::hostprocess {
namespace {

TEST(TemporaryUserPassword, HoldsEveryCharacterClassAndUsesEveryByte) {
  std::vector<uint8_t> random(kPasswordRandomBytes, 0);
  const std::string zeros = PasswordFromRandomBytes(random);
  EXPECT_EQ(zeros.size(), 4 + kPasswordRandomBytes / 4);
  EXPECT_EQ(zeros.substr(0, 4), "Aa1!");
  for (size_t i = 0; i < random.size(); ++i) {
    std::vector<uint8_t> changed = random;
    changed[i] = 1;
    EXPECT_NE(PasswordFromRandomBytes(changed), zeros) << "byte " << i;
  }
}

}  // namespace
}  // namespace silo::runtime::windows::hostprocess
