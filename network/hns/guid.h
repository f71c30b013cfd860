#pragma once
// GUID text <-> HcnGuid. HNS reports ids in either case, with or without
// braces; Silo keeps them in the canonical lowercase 8-4-4-4-12 form so that
// ids from different sources compare equal as strings. Pure, thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "network/hns/api.h"

namespace silo::network::hns {

// Accepts "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", optionally in braces, any case.
std::optional<HcnGuid> ParseGuid(std::string_view text);
// Lowercase canonical form, no braces.
std::string FormatGuid(const HcnGuid& guid);
// ParseGuid + FormatGuid; nullopt when `text` is not a GUID.
std::optional<std::string> CanonicalGuid(std::string_view text);
bool IsZeroGuid(const HcnGuid& guid);

}  // namespace silo::network::hns
