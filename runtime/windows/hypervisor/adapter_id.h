#pragma once
// The ids of a utility VM's network adapters: random version-4 GUIDs, as
// hcsshim's AddEndpointsToNS draws them (guid.NewV4, crypto/rand). Two pods'
// adapters must never share one, so the bytes come from the system's random
// source, never from a seeded generator.

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace silo::runtime::windows::hypervisor {

// The lowercase 8-4-4-4-12 form of `bytes` with the version (4) and the
// RFC 4122 variant bits set.
std::string GuidV4(std::array<uint8_t, 16> bytes);

// From `random_bytes`, an API table's BCryptGenRandom entry (it returns the
// NTSTATUS, 0 = success); Internal naming the NTSTATUS when it fails.
absl::StatusOr<std::string> RandomGuid(uint32_t (*random_bytes)(void* buffer, uint32_t size));

// From silo::RandomHex (std::random_device: /dev/urandom on glibc, rand_s
// on the Windows C runtime).
std::string RandomGuid();

}  // namespace silo::runtime::windows::hypervisor
