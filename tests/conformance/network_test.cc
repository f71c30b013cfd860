// Pod networking: a pod with its own network namespace gets an address from
// the CNI network (bridge + host-local), PodSandboxStatus reports it, and its
// port mappings (CNI portmap) reach the container from the node. The test
// process moves into a private network namespace first, so its bridge and
// iptables rules never touch the machine's.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "tests/conformance/conformance_fixture.h"

namespace silo::testing::conformance {
namespace {

// GET / from ip:port; the response, or "" when the connection fails.
std::string HttpGetFrom(const std::string& ip, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    static constexpr char kRequest[] = "GET / HTTP/1.0\r\n\r\n";
    (void)!::write(fd, kRequest, sizeof(kRequest) - 1);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

class NetworkConformance : public ConformanceTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::access("/usr/lib/cni/bridge", X_OK) != 0 || ::access("/usr/lib/cni/portmap", X_OK) != 0) {
      GTEST_SKIP() << "needs the CNI bridge and portmap plugins";
    }
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << strerror(errno);
    ASSERT_EQ(::silo::testing::Sh("ip link set lo up"), 0);
    std::mt19937 rng(std::random_device{}());
    subnet_ = absl::StrCat("10.89.", std::uniform_int_distribution<int>(0, 255)(rng), ".");
    nlohmann::json conflist = {
        {"cniVersion", "1.0.0"},
        {"name", "silo-conformance-bridge"},
        {"plugins",
         {{{"type", "bridge"},
           {"bridge", "siloconf0"},
           {"isGateway", true},
           {"ipMasq", false},
           {"ipam",
            {{"type", "host-local"},
             {"dataDir", silod_dir_.path() + "/ipam"},
             {"ranges", {{{{"subnet", subnet_ + "0/24"}}}}},
             {"routes", {{{"dst", "0.0.0.0/0"}}}}}}},
          {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}}}};
    // Sorts before the fixture's loopback-only network, so silod picks it.
    ASSERT_TRUE(MakeDirs(silod_dir_.path() + "/cni").ok());
    ASSERT_TRUE(AtomicWriteFile(silod_dir_.path() + "/cni/05-bridge.conflist", conflist.dump()).ok());
    ConformanceTest::SetUp();
  }
  std::string subnet_;
};

SILO_EXERCISES(NetworkConformance, PodGetsAnAddressAndPortMappingsReachIt, "PodSandboxConfig.port_mappings");
TEST_F(NetworkConformance, PodGetsAnAddressAndPortMappingsReachIt) {
  ::runtime::v1::PodSandboxConfig pod = PodConfig("net");
  auto* pm = pod.add_port_mappings();
  pm->set_protocol(::runtime::v1::TCP);
  pm->set_container_port(8080);
  pm->set_host_port(18080);
  std::string pod_id;
  grpc::Status s = RunPod(pod, &pod_id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  grpc::ClientContext ctx;
  ::runtime::v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(pod_id);
  ::runtime::v1::PodSandboxStatusResponse st;
  ASSERT_TRUE(rt_->PodSandboxStatus(&ctx, req, &st).ok());
  const std::string ip = st.status().network().ip();
  EXPECT_TRUE(absl::StartsWith(ip, subnet_)) << ip;

  std::string id = RunIn(pod_id, pod,
                         Config("web", {"sh", "-c", "mkdir -p /tmp/www && echo conformance > /tmp/www/index.html && "
                                                    "exec httpd -f -p 8080 -h /tmp/www"}));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ShIn(id, "ip -4 -o addr show eth0 | grep -c " + ip), "1\n");
  // The pod's address directly, then the node's (the gateway) through the mapping.
  std::string direct, mapped;
  for (int i = 0; i < 100 && !absl::StrContains(direct, "conformance"); ++i) {
    direct = HttpGetFrom(ip, 8080);
    if (!absl::StrContains(direct, "conformance")) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(absl::StrContains(direct, "conformance")) << direct;
  mapped = HttpGetFrom(subnet_ + "1", 18080);
  EXPECT_TRUE(absl::StrContains(mapped, "conformance")) << "through host port 18080: " << mapped;
}

}  // namespace
}  // namespace silo::testing::conformance
