#pragma once
// Test-only client plumbing: a TCP connection to 127.0.0.1 that performs an
// HTTP/1.1 upgrade by hand, so the protocol clients below share nothing with
// the server's code paths except the frame codecs. Not thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace silo::cri::streaming::testing {

struct UpgradeResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
};

class ClientConn {
 public:
  static absl::StatusOr<std::unique_ptr<ClientConn>> Dial(uint16_t port);
  ~ClientConn();

  // Sends `method path` with `headers`, reads the response head. Bytes after
  // the head stay buffered for Recv.
  absl::StatusOr<UpgradeResponse> Upgrade(const std::string& method, const std::string& path,
                                          const std::vector<std::pair<std::string, std::string>>& headers);
  absl::Status Send(std::string_view data);
  // Appends received bytes to buffer(); false on EOF, timeout or error.
  bool Recv(absl::Duration timeout);
  std::string& buffer() { return buf_; }
  void CloseWrite();

 private:
  explicit ClientConn(int fd) : fd_(fd) {}
  int fd_;
  std::string buf_;
};

}  // namespace silo::cri::streaming::testing
