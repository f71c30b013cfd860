#include "runtime/base/windows/pipe_server_trust.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace silo::win32 {
namespace {

using ::testing::HasSubstr;

constexpr char kPipe[] = "\\\\.\\pipe\\silo-shim-c1";
constexpr char kUser[] = "S-1-5-21-3623811015-3361044348-30300820-1013";

TEST(PipeServerTrustTest, TheExpectedProcessIsTrustedWhoeverItRunsAs) {
  EXPECT_TRUE(JudgePipeServer(kPipe, {4242, kUser, false}, 4242).ok());
}

TEST(PipeServerTrustTest, SystemOrAnAdministratorIsTrusted) {
  EXPECT_TRUE(JudgePipeServer(kPipe, {77, "S-1-5-18", false}, 4242).ok());
  EXPECT_TRUE(JudgePipeServer(kPipe, {77, "S-1-5-21-1-2-3-500", true}, 0).ok());
}

TEST(PipeServerTrustTest, AUserWhoTookTheNameIsRefusedNamingWhoServesIt) {
  HrStatus s = JudgePipeServer(kPipe, {77, kUser, false}, 4242);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.hr(), 0x80070005u);
  EXPECT_THAT(s.message(), HasSubstr("served by process 77 running as " + std::string(kUser)));
  EXPECT_THAT(s.message(), HasSubstr("not by process 4242 or SYSTEM"));
  EXPECT_FALSE(JudgePipeServer(kPipe, {77, kUser, false}, 0).ok());
}

TEST(PipeServerTrustTest, AnUnknownServerIsNeverTrusted) {
  EXPECT_FALSE(JudgePipeServer(kPipe, {0, "S-1-5-18", true}, 0).ok());
  EXPECT_FALSE(JudgePipeServer(kPipe, {0, "", false}, 0).ok()) << "pid 0 never matches an unset expectation";
}

}  // namespace
}  // namespace silo::win32
