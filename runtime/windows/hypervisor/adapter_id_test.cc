#include "runtime/windows/hypervisor/adapter_id.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr char kV4[] = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

TEST(AdapterIdTest, GuidV4SetsVersionAndVariantAndKeepsTheOtherBits) {
  std::array<uint8_t, 16> all{};
  all.fill(0xFF);
  EXPECT_EQ(GuidV4(all), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  std::array<uint8_t, 16> none{};
  EXPECT_EQ(GuidV4(none), "00000000-0000-4000-8000-000000000000");
}

uint32_t t_calls = 0;
uint32_t CountingSource(void* buffer, uint32_t size) {
  auto* b = static_cast<uint8_t*>(buffer);
  for (uint32_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(t_calls * 31 + i);
  ++t_calls;
  return 0;
}
uint32_t FailingSource(void*, uint32_t) { return 0xC0000001; }

TEST(AdapterIdTest, EachIdComesFromTheTablesRandomSource) {
  t_calls = 0;
  absl::StatusOr<std::string> a = RandomGuid(&CountingSource);
  absl::StatusOr<std::string> b = RandomGuid(&CountingSource);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(t_calls, 2u);
  EXPECT_THAT(*a, MatchesRegex(kV4));
  EXPECT_EQ(*a, "00010203-0405-4607-8809-0a0b0c0d0e0f");
  EXPECT_NE(*a, *b);
}

TEST(AdapterIdTest, AFailingRandomSourceIsAnErrorNamingItsStatus) {
  absl::StatusOr<std::string> id = RandomGuid(&FailingSource);
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(id.status().message(), HasSubstr("0xC0000001"));
  EXPECT_FALSE(RandomGuid(nullptr).ok());
}

TEST(AdapterIdTest, DefaultSourceGivesDistinctVersion4Guids) {
  std::set<std::string> ids;
  for (int i = 0; i < 64; ++i) {
    const std::string id = RandomGuid();
    EXPECT_THAT(id, MatchesRegex(kV4));
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 64u);
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
