#include "runtime/windows/hostprocess/logon.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hostprocess/win32_error.h"

namespace silo::runtime::windows::hostprocess {
namespace {

using silo::win32::Utf8ToWide;

// From the system CSPRNG (std::random_device is not one on every C runtime).
absl::StatusOr<std::string> RandomPassword(const ProcessApi& api) {
  std::vector<uint8_t> random(kPasswordRandomBytes);
  if (uint32_t status = api.random_bytes(random.data(), kPasswordRandomBytes); status != 0) {
    return absl::InternalError(absl::StrFormat("BCryptGenRandom for a temporary user's password: NTSTATUS 0x%08X",
                                               status));
  }
  return PasswordFromRandomBytes(random);
}

}  // namespace

std::string PasswordFromRandomBytes(const std::vector<uint8_t>& random) {
  static constexpr char kChars[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%+-";
  constexpr uint32_t kCount = sizeof(kChars) - 1;
  std::string out = "Aa1!";  // one of each class whatever the draw
  // Four bytes a character: the modulo's bias is below 2^-25.
  for (size_t i = 0; i + 4 <= random.size(); i += 4) {
    const uint32_t v = static_cast<uint32_t>(random[i]) << 24 | static_cast<uint32_t>(random[i + 1]) << 16 |
                       static_cast<uint32_t>(random[i + 2]) << 8 | random[i + 3];
    out.push_back(kChars[v % kCount]);
  }
  return out;
}

std::string TemporaryUserName(const std::string& container_id) {
  return container_id.substr(0, 20);
}

absl::StatusOr<Logon> LogOn(const ProcessApi& api, const HostProcessPlan& plan, const std::string& container_id) {
  Logon logon;
  switch (plan.logon) {
    case LogonKind::kInherit:
      if (api.open_own_token(&logon.token) == 0) return Win32Error("OpenProcessToken", api.get_last_error());
      return logon;
    case LogonKind::kServiceAccount: {
      // The plan accepted the name in any case; LogonUserW takes the
      // canonical "NT AUTHORITY" domain and the account's name.
      std::string upper = absl::AsciiStrToUpper(plan.account);
      size_t slash = upper.find('\\');
      std::wstring domain = Utf8ToWide(upper.substr(0, slash));
      std::wstring name = Utf8ToWide(upper.substr(slash + 1));
      if (api.logon_user(name.c_str(), domain.c_str(), nullptr, kLogonService, &logon.token) == 0) {
        return Win32Error(absl::StrCat("LogonUserW ", plan.account), api.get_last_error());
      }
      return logon;
    }
    case LogonKind::kLocalGroup: {
      std::string user = TemporaryUserName(container_id);
      std::wstring wuser = Utf8ToWide(user);
      absl::StatusOr<std::string> random_password = RandomPassword(api);
      if (!random_password.ok()) return random_password.status();
      std::wstring password = Utf8ToWide(*random_password);
      std::wstring group = Utf8ToWide(plan.account);
      if (uint32_t err = api.add_temporary_user(wuser.c_str(), password.c_str(), group.c_str()); err != 0) {
        return Win32Error(absl::StrCat("creating temporary user ", user, " in local group ", plan.account), err);
      }
      if (api.logon_user(wuser.c_str(), nullptr, password.c_str(), kLogonInteractive, &logon.token) == 0) {
        absl::Status status = Win32Error(absl::StrCat("LogonUserW ", user), api.get_last_error());
        api.delete_user(wuser.c_str());
        return status;
      }
      logon.temporary_user = user;
      return logon;
    }
  }
  return absl::InternalError("unknown logon kind");
}

absl::Status LogOff(const ProcessApi& api, Logon& logon) {
  absl::Status status;
  if (logon.token != nullptr && api.close_handle(logon.token) == 0) {
    status = Win32Error("closing the logon token", api.get_last_error());
  }
  logon.token = nullptr;
  if (!logon.temporary_user.empty()) {
    std::wstring user = silo::win32::Utf8ToWide(logon.temporary_user);
    constexpr uint32_t kUserNotFound = 2221;  // NERR_UserNotFound: already gone
    if (uint32_t err = api.delete_user(user.c_str()); err != 0 && err != kUserNotFound && status.ok()) {
      status = Win32Error(absl::StrCat("deleting temporary user ", logon.temporary_user), err);
    }
    logon.temporary_user.clear();
  }
  return status;
}

}  // namespace silo::runtime::windows::hostprocess
