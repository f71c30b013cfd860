// The host's version under Wine (or Windows): whatever version the host
// reports, RtlGetVersion, the registry and the manifested GetVersionExW
// must agree, and the embedded manifest must be the one silod.exe carries.
#include <windows.h>

#include <string>

#include "runtime/base/windows/os_version_win32.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using silo::win32::OsVersion;
#define CHECK(cond) SILO_WIN_CHECK(cond)

OsVersion Host() {
  auto v = silo::win32::HostOsVersion();
  CHECK(v.ok());
  if (!v.ok()) {
    std::printf("  %s\n", v.status().ToString().c_str());
    return {};
  }
  return *v;
}

void ReportsAPlausibleVersion() {
  const OsVersion v = Host();
  std::printf("  host os.version %s (%s)\n", silo::win32::OsVersionString(v).c_str(),
              std::string(silo::win32::WindowsImageRelease(v.build)).c_str());
  CHECK(v.major >= 6);
  CHECK(v.build > 0);
}

void BuildMatchesTheRegistry() {
  const OsVersion v = Host();
  wchar_t text[32] = {};
  DWORD size = sizeof(text);
  const LSTATUS s = RegGetValueW(HKEY_LOCAL_MACHINE, silo::win32::kCurrentVersionKey, L"CurrentBuildNumber",
                                 RRF_RT_REG_SZ, nullptr, text, &size);
  CHECK(s == ERROR_SUCCESS);
  if (s == ERROR_SUCCESS) CHECK(std::to_wstring(v.build) == text);

  DWORD ubr = 0;
  size = sizeof(ubr);
  if (RegGetValueW(HKEY_LOCAL_MACHINE, silo::win32::kCurrentVersionKey, L"UBR", RRF_RT_REG_DWORD, nullptr, &ubr,
                   &size) == ERROR_SUCCESS) {
    CHECK(v.revision == ubr);
  } else {
    CHECK(v.revision == 0);
  }
}

// With the supportedOS entries, GetVersionExW tells the truth too (an
// unmanifested program is told 6.2.9200 on Windows 10 and later).
void ManifestedGetVersionAgrees() {
  const OsVersion v = Host();
  OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = sizeof(info);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  CHECK(GetVersionExW(&info));
#pragma GCC diagnostic pop
  CHECK(info.dwMajorVersion == v.major);
  CHECK(info.dwMinorVersion == v.minor);
  CHECK(info.dwBuildNumber == v.build);
}

void CarriesSilodsManifest() {
  HRSRC res = FindResourceW(nullptr, MAKEINTRESOURCEW(1), MAKEINTRESOURCEW(24));  // RT_MANIFEST
  CHECK(res != nullptr);
  if (res == nullptr) return;
  HGLOBAL data = LoadResource(nullptr, res);
  const char* text = static_cast<const char*>(LockResource(data));
  const std::string manifest(text, SizeofResource(nullptr, res));
  CHECK(manifest.find("{8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a}") != std::string::npos);
  CHECK(manifest.find("longPathAware") != std::string::npos);
}

}  // namespace

int main() {
  const silo::windows_testing::WinTest tests[] = {
      {"ReportsAPlausibleVersion", ReportsAPlausibleVersion},
      {"BuildMatchesTheRegistry", BuildMatchesTheRegistry},
      {"ManifestedGetVersionAgrees", ManifestedGetVersionAgrees},
      {"CarriesSilodsManifest", CarriesSilodsManifest},
  };
  return silo::windows_testing::RunWinTests(tests);
}
