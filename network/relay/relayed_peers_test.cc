#include "network/relay/relayed_peers.h"

#include "gtest/gtest.h"

namespace silo::network::relay {
namespace {

TEST(RelayedPeersTest, AdmitsOnlyRegisteredAddressAndPort) {
  RelayedPeers peers;
  EXPECT_FALSE(peers.Admits("ipv4:127.0.0.1:50000")) << "nothing registered, nothing admitted";
  peers.Add("127.0.0.1", 50000);
  EXPECT_TRUE(peers.Admits("ipv4:127.0.0.1:50000"));
  EXPECT_FALSE(peers.Admits("ipv4:127.0.0.1:50001")) << "another port";
  // Another loopback address can reuse the port while the relay's connection lives.
  EXPECT_FALSE(peers.Admits("ipv4:127.0.0.2:50000"));
  peers.Remove("127.0.0.1", 50000);
  EXPECT_FALSE(peers.Admits("ipv4:127.0.0.1:50000"));
  EXPECT_EQ(peers.size(), 0u);
}

TEST(RelayedPeersTest, OtherPeerSpellingsAreNeverAdmitted) {
  RelayedPeers peers;
  peers.Add("127.0.0.1", 50000);
  for (const char* peer : {"ipv6:[::1]:50000", "ipv6:[::ffff:127.0.0.1]:50000", "unix:/run/x.sock", "",
                           "ipv4:", "ipv4:127.0.0.1", "ipv4:127.0.0.1:", "ipv4:127.0.0.1:50000x",
                           "ipv4:127.0.0.1:-1", "ipv4:127.0.0.1:115536", "ipv4::50000", "127.0.0.1:50000"}) {
    EXPECT_FALSE(peers.Admits(peer)) << peer;
  }
}

}  // namespace
}  // namespace silo::network::relay
