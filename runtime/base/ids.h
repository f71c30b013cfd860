#pragma once
// Identifiers: 64 hex characters from the kernel's CSPRNG, the same shape as
// containerd's sandbox and container ids so tools that truncate to 12/13
// characters keep working.

#include <string>

namespace silo {

std::string NewId();

// Random hex string of `bytes` random bytes (2*bytes characters).
std::string RandomHex(size_t bytes);

// True for a 64-character lowercase hex id.
bool IsValidId(const std::string& id);

}  // namespace silo
