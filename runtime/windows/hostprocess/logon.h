#pragma once
// The token a HostProcess container's processes run with, as hcsshim's
// jobcontainers/logon.go makes it: silod's own (the inherit-user
// annotation), a service logon of NT AUTHORITY\SYSTEM, LOCAL SERVICE or
// NETWORK SERVICE, or, for a local group, a temporary local user in that
// group with a random password, logged on interactively and deleted with the
// container. Thread-safe (no state).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/windows/host_process.h"
#include "runtime/windows/hostprocess/process_api.h"

namespace silo::runtime::windows::hostprocess {

struct Logon {
  void* token = nullptr;      // owned; close with api.close_handle
  std::string temporary_user;  // "" unless one was made (delete it with DeleteTemporaryUser)
};

// The temporary user's name for container `id`: its first 20 characters
// (SAM names hold at most 20), as hcsshim names it.
std::string TemporaryUserName(const std::string& container_id);

// How many bytes of api.random_bytes make one temporary user's password.
inline constexpr uint32_t kPasswordRandomBytes = 4 * 28;

// The temporary user's password from kPasswordRandomBytes random bytes:
// long and mixed enough for any local password policy.
std::string PasswordFromRandomBytes(const std::vector<uint8_t>& random);

// On failure nothing is left (no token, no user).
absl::StatusOr<Logon> LogOn(const ProcessApi& api, const HostProcessPlan& plan, const std::string& container_id);

// Closes the token and deletes the temporary user if there is one.
absl::Status LogOff(const ProcessApi& api, Logon& logon);

}  // namespace silo::runtime::windows::hostprocess
