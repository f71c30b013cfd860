#include "runtime/windows/hypervisor/adapter_id.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "runtime/base/ids.h"

namespace silo::runtime::windows::hypervisor {

std::string GuidV4(std::array<uint8_t, 16> b) {
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string hex;
  for (uint8_t byte : b) absl::StrAppendFormat(&hex, "%02x", byte);
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-", hex.substr(16, 4), "-",
                      hex.substr(20));
}

absl::StatusOr<std::string> RandomGuid(uint32_t (*random_bytes)(void* buffer, uint32_t size)) {
  if (random_bytes == nullptr) return absl::FailedPreconditionError("no random source for adapter ids");
  std::array<uint8_t, 16> b{};
  if (const uint32_t status = random_bytes(b.data(), static_cast<uint32_t>(b.size())); status != 0) {
    return absl::InternalError(absl::StrFormat("BCryptGenRandom for a network adapter id: NTSTATUS 0x%08X", status));
  }
  return GuidV4(b);
}

std::string RandomGuid() {
  const std::string bytes = absl::HexStringToBytes(RandomHex(16));
  std::array<uint8_t, 16> b{};
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(bytes[i]);
  return GuidV4(b);
}

}  // namespace silo::runtime::windows::hypervisor
