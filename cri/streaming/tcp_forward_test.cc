#include "cri/streaming/tcp_forward.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <mutex>
#include <thread>

#include "gtest/gtest.h"

namespace silo::cri::streaming {
namespace {

class Collect final : public runtime::streaming::OutputStream {
 public:
  bool Write(std::string_view data) override {
    std::lock_guard<std::mutex> lock(mu_);
    data_.append(data);
    return true;
  }
  std::string data() {
    std::lock_guard<std::mutex> lock(mu_);
    return data_;
  }

 private:
  std::mutex mu_;
  std::string data_;
};

// A listener on 127.0.0.1 with a free port; returns the fd and the port.
std::pair<int, uint16_t> Listen() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return {fd, ntohs(addr.sin_port)};
}

TEST(TcpForwardTest, CopiesBothWaysUntilTheTargetClosesAfterTheUpload) {
  auto [listener, port] = Listen();
  std::thread target([listener = listener] {
    int c = ::accept(listener, nullptr, nullptr);
    std::string got;
    char buf[256];
    for (ssize_t n; (n = ::read(c, buf, sizeof(buf))) > 0;) got.append(buf, static_cast<size_t>(n));
    for (char& ch : got) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    (void)!::write(c, got.data(), got.size());  // answers after the client's EOF
    ::close(c);
  });
  runtime::streaming::ByteQueue in;
  Collect out;
  in.Write("hello ");
  in.Write("wincat");
  in.CloseWrite();
  absl::Status s = ForwardTcp("127.0.0.1", port, &in, &out);
  target.join();
  ::close(listener);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(out.data(), "HELLO WINCAT");
}

TEST(TcpForwardTest, AnAbandonedClientEndsTheForwardWhileTheTargetStaysOpen) {
  auto [listener, port] = Listen();
  int accepted = -1;
  std::thread target([&, listener = listener] { accepted = ::accept(listener, nullptr, nullptr); });
  runtime::streaming::ByteQueue in;
  Collect out;
  std::thread client([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    in.Close();
  });
  absl::Status s = ForwardTcp("127.0.0.1", port, &in, &out);
  client.join();
  target.join();
  EXPECT_TRUE(s.ok()) << s;
  ::close(accepted);
  ::close(listener);
}

TEST(TcpForwardTest, ARefusedPortOrABadAddressIsAClearError) {
  auto [listener, port] = Listen();
  ::close(listener);  // nothing listens there any more
  runtime::streaming::ByteQueue in;
  Collect out;
  absl::Status s = ForwardTcp("127.0.0.1", port, &in, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("127.0.0.1"), std::string::npos) << s;
  EXPECT_EQ(ForwardTcp("pod.example", 80, &in, &out).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ForwardTcp("127.0.0.1", 0, &in, &out).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::cri::streaming
