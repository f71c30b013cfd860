#include "runtime/base/windows/os_version.h"

#include <cstring>
#include <cwchar>
#include <string>

#include "gtest/gtest.h"
#include "runtime/base/windows/os_version_query.h"

namespace silo::win32 {
namespace {

TEST(OsVersionTest, FormatsTheImageOsVersion) {
  EXPECT_EQ(OsVersionString({10, 0, 20348, 2227}), "10.0.20348.2227");
  EXPECT_EQ(OsVersionString({10, 0, 17763, 0}), "10.0.17763.0");
}

TEST(OsVersionTest, NamesTheServerReleasesImagesAreTaggedWith) {
  EXPECT_EQ(WindowsImageRelease(17763), "ltsc2019");
  EXPECT_EQ(WindowsImageRelease(20348), "ltsc2022");
  EXPECT_EQ(WindowsImageRelease(26100), "ltsc2025");
  EXPECT_EQ(WindowsImageRelease(14393), "ltsc2016");
  EXPECT_EQ(WindowsImageRelease(19042), "20H2");
  EXPECT_EQ(WindowsImageRelease(22621), "") << "Windows 11 22H2 has no server images";
  EXPECT_EQ(WindowsImageRelease(0), "");
}

// A strict stand-in for ntdll and the registry: RtlGetVersion refuses a
// size other than RTL_OSVERSIONINFOW's or RTL_OSVERSIONINFOEXW's, and the
// registry holds the CurrentVersion key only, with CurrentBuildNumber as a
// string (RegGetValueW with RRF_RT_REG_DWORD refuses it) and UBR as a DWORD.
struct FakeHost {
  static inline int32_t rtl_status = 0;
  static inline uint32_t build = 20348;
  static inline bool has_ubr = true;
  static inline uint32_t ubr = 2227;
  static inline int32_t registry_error = 0;  // forced failure
  static inline int reads = 0;

  static void Reset() {
    rtl_status = 0;
    build = 20348;
    has_ubr = true;
    ubr = 2227;
    registry_error = 0;
    reads = 0;
  }

  static int32_t RtlGetVersion(OsVersionInfo* info) {
    if (info == nullptr) return static_cast<int32_t>(0xC000000Du);               // STATUS_INVALID_PARAMETER
    if (info->size != 276 && info->size != 284) return static_cast<int32_t>(0xC000000Du);
    if (rtl_status != 0) return rtl_status;
    info->major = 10;
    info->minor = 0;
    info->build = build;
    info->platform_id = 2;  // VER_PLATFORM_WIN32_NT
    return 0;
  }

  static int32_t ReadHklmDword(const wchar_t* subkey, const wchar_t* value, uint32_t* data) {
    ++reads;
    if (data == nullptr) return 87;  // ERROR_INVALID_PARAMETER
    if (registry_error != 0) return registry_error;
    if (std::wcscmp(subkey, kCurrentVersionKey) != 0) return 2;  // ERROR_FILE_NOT_FOUND
    if (std::wcscmp(value, L"CurrentBuildNumber") == 0) return 1630;  // ERROR_UNSUPPORTED_TYPE (REG_SZ)
    if (std::wcscmp(value, L"UBR") != 0 || !has_ubr) return 2;
    *data = ubr;
    return 0;
  }

  static OsVersionApi Api() { return OsVersionApi{&RtlGetVersion, &ReadHklmDword}; }
};

class OsVersionQueryTest : public ::testing::Test {
 protected:
  void SetUp() override { FakeHost::Reset(); }
};

TEST_F(OsVersionQueryTest, BuildFromRtlGetVersionRevisionFromUbr) {
  Result<OsVersion> v = QueryOsVersion(FakeHost::Api());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(OsVersionString(*v), "10.0.20348.2227");
  EXPECT_EQ(FakeHost::reads, 1);
}

TEST_F(OsVersionQueryTest, MissingUbrMeansRevisionZero) {
  FakeHost::has_ubr = false;
  FakeHost::build = 17763;
  Result<OsVersion> v = QueryOsVersion(FakeHost::Api());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(OsVersionString(*v), "10.0.17763.0");
}

TEST_F(OsVersionQueryTest, FailuresNameTheCall) {
  FakeHost::registry_error = 5;  // ERROR_ACCESS_DENIED
  Result<OsVersion> v = QueryOsVersion(FakeHost::Api());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().hr(), 0x80070005u);
  EXPECT_NE(v.status().message().find("UBR"), std::string::npos) << v.status().ToString();

  FakeHost::Reset();
  FakeHost::rtl_status = static_cast<int32_t>(0xC0000001u);  // STATUS_UNSUCCESSFUL
  v = QueryOsVersion(FakeHost::Api());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().hr(), 0xD0000001u) << "HRESULT_FROM_NT";
  EXPECT_NE(v.status().message().find("RtlGetVersion"), std::string::npos);
  EXPECT_EQ(FakeHost::reads, 0) << "no registry read after RtlGetVersion failed";

  FakeHost::Reset();
  FakeHost::build = 0;
  EXPECT_FALSE(QueryOsVersion(FakeHost::Api()).ok());
}

}  // namespace
}  // namespace silo::win32
