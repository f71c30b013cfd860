#include "cri/streaming/tcp_forward.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cri/streaming/socket_io.h"

namespace silo::cri::streaming {

absl::Status ForwardTcp(const std::string& host, int32_t port, runtime::streaming::ByteQueue* in,
                        runtime::streaming::OutputStream* out) {
  if (port <= 0 || port > 65535) return absl::InvalidArgumentError(absl::StrCat("port-forward: bad port ", port));
  std::string error;
  const SocketFd fd = DialTcp(host, static_cast<uint16_t>(port), &error);
  if (fd == kNoSocket) {
    return absl::UnavailableError(absl::StrCat("port-forward: dial ", host, ":", port, ": ", error));
  }
  std::atomic<bool> down_done{false};
  std::thread down([&] {
    char buf[16 * 1024];
    while (true) {
      const long n = RecvSome(fd, buf, sizeof(buf));
      if (n <= 0) break;
      if (!out->Write(std::string_view(buf, static_cast<size_t>(n)))) {
        in->Close();  // the client is gone: end the upload too
        break;
      }
    }
    down_done = true;
  });
  while (std::optional<std::string> data = in->Read()) {
    if (!SendAll(fd, *data)) break;
  }
  ShutdownSend(fd);
  // A finished upload lets the target answer until it closes; a vanished
  // client (abandoned queue) ends the download at once.
  while (!down_done) {
    if (in->abandoned()) {
      ShutdownSocket(fd);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  down.join();
  CloseSocket(fd);
  return absl::OkStatus();
}

}  // namespace silo::cri::streaming
