// GoogleTest and GoogleMock from the prefix run under Wine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

TEST(Smoke, MatchersWork) { EXPECT_THAT(std::string("silo.exe"), testing::EndsWith(".exe")); }
