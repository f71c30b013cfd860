#include "tests/support/stream_wire_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cri/streaming/spdy_headers.h"

namespace silo::testing::wire {
namespace {

using Clock = std::chrono::steady_clock;

// A TCP connection with a read buffer and an overall deadline.
class Conn {
 public:
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Dial(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      return absl::UnavailableError(absl::StrCat("connect 127.0.0.1:", port, ": ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }
  absl::Status Write(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
      off += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }
  // Ensures `n` buffered bytes; false at EOF or on the deadline.
  bool Fill(size_t n) {
    while (buf_.size() < n) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count());
      if (left <= 0) return false;
      pollfd p = {fd_, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) return false;
      char tmp[65536];
      ssize_t r = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      buf_.append(tmp, static_cast<size_t>(r));
    }
    return true;
  }
  std::string Take(size_t n) {
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }
  // The HTTP response head; `headers` lower-cased names.
  absl::StatusOr<int> ReadHead(std::map<std::string, std::string>* headers) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(buf_.size() + 1)) return absl::UnavailableError("no HTTP response head");
    }
    std::string head = Take(end + 4);
    std::vector<std::string> lines = absl::StrSplit(head, "\r\n", absl::SkipEmpty());
    if (lines.empty()) return absl::InternalError("empty response head");
    std::vector<std::string> status = absl::StrSplit(lines[0], ' ');
    int code = 0;
    if (status.size() < 2 || !absl::SimpleAtoi(status[1], &code)) {
      return absl::InternalError(absl::StrCat("bad status line: ", lines[0]));
    }
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t colon = lines[i].find(':');
      if (colon == std::string::npos) continue;
      (*headers)[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
    return code;
  }

 private:
  int fd_ = -1;
  std::string buf_;
  Clock::time_point deadline_ = Clock::now() + std::chrono::seconds(60);
};

void Put32(std::string* out, uint32_t v) {
  for (int shift : {24, 16, 8, 0}) out->push_back(static_cast<char>((v >> shift) & 0xff));
}
uint32_t Get32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8) | static_cast<uint8_t>(s[at + 3]);
}

// --- SPDY/3.1 -------------------------------------------------------------

constexpr uint16_t kSynStream = 1, kRstStream = 3, kPing = 6, kGoAway = 7, kWindowUpdate = 9;
constexpr uint8_t kFlagFin = 0x01;

std::string ControlFrame(uint16_t type, uint8_t flags, const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(0x80));  // control bit, version 3
  f.push_back(3);
  f.push_back(static_cast<char>(type >> 8));
  f.push_back(static_cast<char>(type & 0xff));
  f.push_back(static_cast<char>(flags));
  f.push_back(static_cast<char>((payload.size() >> 16) & 0xff));
  f.push_back(static_cast<char>((payload.size() >> 8) & 0xff));
  f.push_back(static_cast<char>(payload.size() & 0xff));
  return f + payload;
}

std::string DataFrame(uint32_t stream, uint8_t flags, const std::string& payload) {
  std::string f;
  Put32(&f, stream & 0x7fffffff);
  f.push_back(static_cast<char>(flags));
  f.push_back(static_cast<char>((payload.size() >> 16) & 0xff));
  f.push_back(static_cast<char>((payload.size() >> 8) & 0xff));
  f.push_back(static_cast<char>(payload.size() & 0xff));
  return f + payload;
}

// One compression context per connection direction, as SPDY/3 requires.
class HeaderCompressor {
 public:
  HeaderCompressor() {
    std::memset(&z_, 0, sizeof(z_));
    deflateInit(&z_, Z_DEFAULT_COMPRESSION);
    std::string_view dict = cri::streaming::spdy::HeaderDictionary();
    deflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(dict.data()), static_cast<uInt>(dict.size()));
  }
  ~HeaderCompressor() { deflateEnd(&z_); }
  std::string Compress(const std::vector<std::pair<std::string, std::string>>& headers) {
    std::string block;
    Put32(&block, static_cast<uint32_t>(headers.size()));
    for (const auto& [k, v] : headers) {
      Put32(&block, static_cast<uint32_t>(k.size()));
      block += k;
      Put32(&block, static_cast<uint32_t>(v.size()));
      block += v;
    }
    std::string out(block.size() + 256, '\0');
    z_.next_in = reinterpret_cast<Bytef*>(block.data());
    z_.avail_in = static_cast<uInt>(block.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    deflate(&z_, Z_SYNC_FLUSH);
    out.resize(out.size() - z_.avail_out);
    return out;
  }

 private:
  z_stream z_;
};

}  // namespace

absl::StatusOr<SessionResult> SpdySession(uint16_t port, const std::string& path, const SessionOptions& o) {
  Conn c;
  if (absl::Status s = c.Dial(port); !s.ok()) return s;
  if (absl::Status s = c.Write(absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                            "\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
                                            "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n"));
      !s.ok()) {
    return s;
  }
  SessionResult r;
  std::map<std::string, std::string> headers;
  absl::StatusOr<int> code = c.ReadHead(&headers);
  if (!code.ok()) return code.status();
  r.http_status = *code;
  if (r.http_status != 101) return r;
  r.protocol = headers["x-stream-protocol-version"];

  // Streams as kubectl opens them: error first, then stdin/stdout/stderr;
  // the ones we never write to are half-closed at once.
  HeaderCompressor hc;
  std::map<uint32_t, std::string*> sinks;
  std::map<uint32_t, bool> open;
  uint32_t next_id = 1, stdin_id = 0;
  auto syn = [&](const std::string& type, bool fin) {
    uint32_t id = next_id;
    next_id += 2;
    std::string payload;
    Put32(&payload, id);
    Put32(&payload, 0);  // associated stream
    payload.push_back(0);  // priority
    payload.push_back(0);  // slot
    payload += hc.Compress({{"streamtype", type}});
    return std::make_pair(id, ControlFrame(kSynStream, fin ? kFlagFin : 0, payload));
  };
  std::string out;
  auto [err_id, err_frame] = syn("error", true);
  out += err_frame;
  sinks[err_id] = &r.error;
  if (o.stdin) {
    auto [id, f] = syn("stdin", false);
    stdin_id = id;
    out += f;
  }
  if (o.stdout) {
    auto [id, f] = syn("stdout", true);
    out += f;
    sinks[id] = &r.stdout;
  }
  if (o.stderr) {
    auto [id, f] = syn("stderr", true);
    out += f;
    sinks[id] = &r.stderr;
  }
  for (const auto& [id, sink] : sinks) open[id] = true;
  if (o.stdin) {
    for (size_t off = 0; off < o.stdin_data.size(); off += 16384) {
      out += DataFrame(stdin_id, 0, o.stdin_data.substr(off, 16384));
    }
    out += DataFrame(stdin_id, kFlagFin, "");
  }
  if (absl::Status s = c.Write(out); !s.ok()) return s;

  auto all_done = [&] {
    for (const auto& [id, o] : open) {
      if (o) return false;
    }
    return true;
  };
  while (!all_done() && c.Fill(8)) {
    std::string head = c.Take(8);
    const uint32_t len = (static_cast<uint32_t>(static_cast<uint8_t>(head[5])) << 16) |
                         (static_cast<uint32_t>(static_cast<uint8_t>(head[6])) << 8) | static_cast<uint8_t>(head[7]);
    const uint8_t flags = static_cast<uint8_t>(head[4]);
    if (!c.Fill(len)) break;
    std::string body = c.Take(len);
    if (static_cast<uint8_t>(head[0]) & 0x80) {
      const uint16_t type = static_cast<uint16_t>((static_cast<uint8_t>(head[2]) << 8) | static_cast<uint8_t>(head[3]));
      if (type == kPing) {
        (void)c.Write(head + body);  // echo
      } else if (type == kRstStream && body.size() >= 4) {
        open[Get32(body, 0) & 0x7fffffff] = false;
      } else if (type == kGoAway) {
        break;
      } else if (flags & kFlagFin && body.size() >= 4) {
        open[Get32(body, 0) & 0x7fffffff] = false;  // SYN_REPLY or HEADERS with FIN
      }
      continue;
    }
    const uint32_t id = Get32(head, 0) & 0x7fffffff;
    if (auto it = sinks.find(id); it != sinks.end()) it->second->append(body);
    if (!body.empty()) {
      // Give the window back, for the stream and for the connection.
      std::string wu;
      Put32(&wu, id);
      Put32(&wu, len);
      std::string conn_wu;
      Put32(&conn_wu, 0);
      Put32(&conn_wu, len);
      (void)c.Write(ControlFrame(kWindowUpdate, 0, wu) + ControlFrame(kWindowUpdate, 0, conn_wu));
    }
    if (flags & kFlagFin) open[id] = false;
  }
  return r;
}

// --- WebSocket --------------------------------------------------------------

namespace {

std::string WsFrame(uint8_t opcode, const std::string& payload, std::mt19937& rng) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));  // FIN
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() < 65536) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
  }
  char mask[4];
  for (char& m : mask) m = static_cast<char>(rng() & 0xff);
  f.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return f;
}

std::string AcceptFor(const std::string& key) {
  const std::string in = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace

absl::StatusOr<SessionResult> WebSocketSession(uint16_t port, const std::string& path, const SessionOptions& o) {
  std::mt19937 rng(std::random_device{}());
  std::string raw_key(16, '\0');
  for (char& ch : raw_key) ch = static_cast<char>(rng() & 0xff);
  const std::string key = absl::Base64Escape(raw_key);
  std::string query = absl::StrCat(o.stdin ? "&input=1" : "", o.stdout ? "&output=1" : "", o.stderr ? "&error=1" : "");
  Conn c;
  if (absl::Status s = c.Dial(port); !s.ok()) return s;
  if (absl::Status s = c.Write(absl::StrCat("GET ", path, query.empty() ? "" : "?" + query.substr(1),
                                            " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ", key,
                                            "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n"));
      !s.ok()) {
    return s;
  }
  SessionResult r;
  std::map<std::string, std::string> headers;
  absl::StatusOr<int> code = c.ReadHead(&headers);
  if (!code.ok()) return code.status();
  r.http_status = *code;
  if (r.http_status != 101) return r;
  if (headers["sec-websocket-accept"] != AcceptFor(key)) {
    return absl::InternalError(absl::StrCat("bad Sec-WebSocket-Accept \"", headers["sec-websocket-accept"], "\""));
  }
  r.protocol = headers["sec-websocket-protocol"];
  if (o.stdin) {
    std::string out;
    for (size_t off = 0; off < o.stdin_data.size() || off == 0; off += 16384) {
      out += WsFrame(2, std::string(1, '\0') + o.stdin_data.substr(off, 16384), rng);
      if (o.stdin_data.empty()) break;
    }
    out += WsFrame(2, std::string("\xff\x00", 2), rng);  // v5: close the stdin channel
    if (absl::Status s = c.Write(out); !s.ok()) return s;
  }
  while (c.Fill(2)) {
    std::string h = c.Take(2);
    const uint8_t opcode = static_cast<uint8_t>(h[0]) & 0x0f;
    uint64_t len = static_cast<uint8_t>(h[1]) & 0x7f;
    if (len == 126 || len == 127) {
      const size_t ext = len == 126 ? 2 : 8;
      if (!c.Fill(ext)) break;
      std::string e = c.Take(ext);
      len = 0;
      for (char b : e) len = (len << 8) | static_cast<uint8_t>(b);
    }
    if (!c.Fill(len)) break;
    std::string payload = c.Take(len);
    if (opcode == 8) {
      if (payload.size() >= 2) {
        r.close_code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]));
      }
      (void)c.Write(WsFrame(8, payload.substr(0, 2), rng));
      break;
    }
    if (opcode == 9) {
      (void)c.Write(WsFrame(10, payload, rng));
      continue;
    }
    if (opcode != 2 || payload.empty()) continue;
    const uint8_t channel = static_cast<uint8_t>(payload[0]);
    const std::string data = payload.substr(1);
    if (channel == 1) r.stdout += data;
    if (channel == 2) r.stderr += data;
    if (channel == 3) r.error += data;
  }
  return r;
}

}  // namespace silo::testing::wire
