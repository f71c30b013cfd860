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

// The GUID of the HCN namespace Silo creates for a sandbox. Silo chooses it
// (HcnCreateNamespace takes the new namespace's id) so that
//   - it follows from the sandbox id, which the sandbox record holds from
//     before any side effect: a crash between the create call and the next
//     write to the record still leaves silod knowing the namespace;
//   - it carries Silo's mark (a fixed 48-bit prefix and the version nibble
//     of RFC 9562's custom UUIDs, 8), so leak cleanup can tell Silo's
//     namespaces from those of containerd, Docker or HNS itself (random
//     version-4 GUIDs) even when no record of Silo's names them any more.
HcnGuid SiloNamespaceGuid(std::string_view sandbox_id);
// True for GUIDs made by SiloNamespaceGuid (for any sandbox id).
bool HasSiloMark(const HcnGuid& guid);

}  // namespace silo::network::hns
