// Pulling from registries as kubelet's users expect: a registry on the
// loopback (localhost, 127.0.0.0/8, ::1) is spoken to over plain HTTP with no
// configuration, as Docker and containerd do, and errors that a retry cannot
// change fail the pull at once.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "image/registry/testing/local_registry.h"
#include "tests/support/busybox_image.h"
#include "tests/support/silod_process.h"

namespace silo::testing::conformance {
namespace {

using image::registry::testing::LocalRegistry;

// A plain-HTTP server on every address that answers each connection with
// 400 and counts them: what a TLS client meets at a plain-HTTP registry.
class PlainHttpServer {
 public:
  PlainHttpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t len = sizeof(addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "plain server: " << strerror(errno);
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;  // closed by the destructor
        ++connections_;
        char buf[4096];
        (void)!::read(c, buf, sizeof(buf));
        static constexpr char kReply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        (void)!::write(c, kReply, sizeof(kReply) - 1);
        ::close(c);
      }
    });
  }
  ~PlainHttpServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// An IPv4 address of this machine that is not on the loopback, or "".
std::string NonLoopbackAddress() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string out;
  for (ifaddrs* a = list; a != nullptr && out.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    in_addr ip = reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr;
    if ((ntohl(ip.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    out = ::inet_ntop(AF_INET, &ip, text, sizeof(text));
  }
  ::freeifaddrs(list);
  return out;
}

class RegistryPullConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    auto reg = LocalRegistry::Start();
    ASSERT_TRUE(reg.ok()) << reg.status();
    registry_ = std::move(*reg);
    auto image = PushBusyboxImage(registry_.get(), scratch_.path());
    ASSERT_TRUE(image.ok()) << image.status();
    image_ = *image;
    // No registry configuration at all: no insecure hosts.
    auto p = SilodProcess::Start({.dir = silod_dir_.path()});
    ASSERT_TRUE(p.ok()) << p.status();
    silod_ = std::move(*p);
    images_ = silod_->ImageStub();
  }
  void TearDown() override {
    if (silod_) {
      EXPECT_EQ(silod_->Stop(kSigTerm), 0);
    }
  }
  grpc::Status Pull(const std::string& ref, ::runtime::v1::AuthConfig* auth = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    ::runtime::v1::PullImageRequest req;
    req.mutable_image()->set_image(ref);
    if (auth) *req.mutable_auth() = *auth;
    ::runtime::v1::PullImageResponse resp;
    return images_->PullImage(&ctx, req, &resp);
  }

  TempDir scratch_, silod_dir_;
  std::unique_ptr<LocalRegistry> registry_;
  std::unique_ptr<SilodProcess> silod_;
  std::unique_ptr<::runtime::v1::ImageService::Stub> images_;
  std::string image_;
};

TEST_F(RegistryPullConformance, LoopbackRegistriesArePlainHttpWithoutConfiguration) {
  grpc::Status s = Pull(image_);
  EXPECT_TRUE(s.ok()) << image_ << ": " << s.error_message();
  std::string by_name = absl::StrReplaceAll(image_, {{"127.0.0.1:", "localhost:"}});
  s = Pull(by_name);
  EXPECT_TRUE(s.ok()) << by_name << ": " << s.error_message();
}

TEST_F(RegistryPullConformance, TlsHandshakeWithAPlainHttpServerFailsAtOnce) {
  std::string address = NonLoopbackAddress();
  if (address.empty()) GTEST_SKIP() << "no non-loopback IPv4 address";
  PlainHttpServer server;
  grpc::Status s = Pull(absl::StrCat(address, ":", server.port(), "/test/busybox:v1"));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(server.connections(), 1) << "a TLS handshake with a plain server is not retried: " << s.error_message();
}

TEST_F(RegistryPullConformance, MissingImageIsNotFoundWithoutRetries) {
  grpc::Status s = Pull(absl::StrReplaceAll(image_, {{"busybox:v1", "busybox:no-such-tag"}}));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_FALSE(absl::StrContains(s.error_message(), "attempts")) << s.error_message();
}

TEST_F(RegistryPullConformance, WrongCredentialsFailUnauthenticatedWithoutRetries) {
  auto reg = LocalRegistry::Start({.username = "user", .password = "right"});
  ASSERT_TRUE(reg.ok()) << reg.status();
  TempDir scratch;
  auto image = PushBusyboxImage(reg->get(), scratch.path());
  ASSERT_TRUE(image.ok()) << image.status();
  ::runtime::v1::AuthConfig auth;
  auth.set_username("user");
  auth.set_password("wrong");
  grpc::Status s = Pull(*image, &auth);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_FALSE(absl::StrContains(s.error_message(), "attempts")) << s.error_message();
  auth.set_password("right");
  s = Pull(*image, &auth);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

}  // namespace
}  // namespace silo::testing::conformance
