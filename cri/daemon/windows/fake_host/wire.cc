#include "cri/daemon/windows/fake_host/wire.h"

#include <errno.h>
#include <sys/socket.h>

#include <cwchar>

namespace silo::cri::fake_host {

namespace {

constexpr uint64_t kNullWide = ~0ull;
constexpr uint32_t kMaxMessage = 64u << 20;

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    // MSG_NOSIGNAL: a peer that died is an error here, not SIGPIPE.
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool ReceiveAll(int fd, char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::recv(fd, data, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

void WireWriter::PutWide(const wchar_t* s) {
  if (s == nullptr) {
    Put<uint64_t>(kNullWide);
    return;
  }
  const size_t n = std::wcslen(s);
  Put<uint64_t>(n);
  bytes_.append(reinterpret_cast<const char*>(s), n * sizeof(wchar_t));
}

bool WireReader::Take(void* out, size_t size) {
  if (!ok_ || bytes_.size() - at_ < size) {
    ok_ = false;
    return false;
  }
  std::memcpy(out, bytes_.data() + at_, size);
  at_ += size;
  return true;
}

std::string WireReader::GetString() {
  const uint64_t n = Get<uint64_t>();
  if (!ok_ || bytes_.size() - at_ < n) {
    ok_ = false;
    return {};
  }
  std::string s = bytes_.substr(at_, n);
  at_ += n;
  return s;
}

std::optional<std::wstring> WireReader::GetWide() {
  const uint64_t n = Get<uint64_t>();
  if (n == kNullWide || !ok_) return std::nullopt;
  if ((bytes_.size() - at_) / sizeof(wchar_t) < n) {
    ok_ = false;
    return std::nullopt;
  }
  std::wstring s(n, L'\0');
  std::memcpy(s.data(), bytes_.data() + at_, n * sizeof(wchar_t));
  at_ += n * sizeof(wchar_t);
  return s;
}

bool SendMessage(int fd, const std::string& payload) {
  const uint32_t size = static_cast<uint32_t>(payload.size());
  std::string framed(reinterpret_cast<const char*>(&size), sizeof(size));
  framed += payload;
  return SendAll(fd, framed.data(), framed.size());
}

bool ReceiveMessage(int fd, std::string* payload) {
  uint32_t size = 0;
  if (!ReceiveAll(fd, reinterpret_cast<char*>(&size), sizeof(size)) || size > kMaxMessage) return false;
  payload->assign(size, '\0');
  return ReceiveAll(fd, payload->data(), size);
}

}  // namespace silo::cri::fake_host
