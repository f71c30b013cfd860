#include "runtime/base/windows/wide.h"

#include "gtest/gtest.h"

namespace silo::win32 {
namespace {

TEST(WideTest, RoundTripsAsciiAndMultibyte) {
  for (const std::string& s : {std::string("abc-123"), std::string("C:\\ProgramData\\silo"),
                              std::string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::string()}) {
    EXPECT_EQ(WideToUtf8(Utf8ToWide(s)), s);
  }
}

TEST(WideTest, DecodesCodePoints) {
  const std::wstring w = Utf8ToWide("\xC3\xA9\xF0\x9F\x98\x80");
  if constexpr (sizeof(wchar_t) == 2) {
    ASSERT_EQ(w.size(), 3u);  // surrogate pair
    EXPECT_EQ(static_cast<uint32_t>(w[1]), 0xD83Du);
  } else {
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(static_cast<uint32_t>(w[1]), 0x1F600u);
  }
  EXPECT_EQ(static_cast<uint32_t>(w[0]), 0xE9u);
}

TEST(WideTest, InvalidInputBecomesReplacement) {
  EXPECT_EQ(WideToUtf8(Utf8ToWide("a\xFF" "b")), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(WideToUtf8(Utf8ToWide("\xC0\xAF")), "\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(WideToUtf8(static_cast<const wchar_t*>(nullptr)), "");
}

}  // namespace
}  // namespace silo::win32
