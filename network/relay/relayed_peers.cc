#include "network/relay/relayed_peers.h"

#include <charconv>

namespace silo::network::relay {

void RelayedPeers::Add(const std::string& ipv4, uint16_t port) {
  std::lock_guard<std::mutex> lock(mu_);
  peers_.emplace(ipv4, port);
}

void RelayedPeers::Remove(const std::string& ipv4, uint16_t port) {
  std::lock_guard<std::mutex> lock(mu_);
  peers_.erase({ipv4, port});
}

bool RelayedPeers::Admits(std::string_view peer) const {
  constexpr std::string_view kScheme = "ipv4:";
  if (peer.substr(0, kScheme.size()) != kScheme) return false;
  peer.remove_prefix(kScheme.size());
  const size_t colon = peer.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view port_text = peer.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return peers_.count({std::string(peer.substr(0, colon)), static_cast<uint16_t>(port)}) != 0;
}

size_t RelayedPeers::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peers_.size();
}

}  // namespace silo::network::relay
