#include "cri/streaming/testing/ws_client.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cri/streaming/websocket_frame.h"

namespace silo::cri::streaming::testing {
namespace {

std::string ExpectedAccept(const std::string& key) {
  const std::string in = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), d);
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(d), sizeof(d)));
}

}  // namespace

WsTestClient::WsTestClient(std::unique_ptr<ClientConn> conn, std::string protocol, bool accept_ok)
    : conn_(std::move(conn)),
      protocol_(std::move(protocol)),
      accept_ok_(accept_ok),
      base64_(protocol_.find("base64") != std::string::npos),
      rng_(std::random_device{}()) {}

absl::StatusOr<std::unique_ptr<WsTestClient>> WsTestClient::Connect(
    uint16_t port, const std::string& method, const std::string& path,
    const std::vector<std::string>& protocols, UpgradeResponse* response) {
  std::mt19937 rng(std::random_device{}());
  std::string nonce(16, '\0');
  for (char& ch : nonce) ch = char(rng());
  const std::string key = absl::Base64Escape(nonce);
  auto conn = ClientConn::Dial(port);
  if (!conn.ok()) return conn.status();
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Connection", "Upgrade"}, {"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"},
      {"Sec-WebSocket-Key", key}};
  if (!protocols.empty()) {
    headers.emplace_back("Sec-WebSocket-Protocol", absl::StrJoin(protocols, ", "));
  }
  auto res = (*conn)->Upgrade(method, path, headers);
  if (!res.ok()) return res.status();
  *response = *res;
  if (res->status != 101) return nullptr;
  return std::unique_ptr<WsTestClient>(
      new WsTestClient(*std::move(conn), res->headers["sec-websocket-protocol"],
                       res->headers["sec-websocket-accept"] == ExpectedAccept(key)));
}

absl::Status WsTestClient::SendFrame(uint8_t opcode, std::string_view payload) {
  auto frame = ws::SerializeFrame(ws::Opcode(opcode), payload, true, uint32_t(rng_()));
  if (!frame.ok()) return frame.status();
  return conn_->Send(*frame);
}

absl::Status WsTestClient::SendChannel(uint8_t channel, std::string_view data) {
  if (base64_) {
    return SendFrame(uint8_t(ws::Opcode::kText),
                     absl::StrCat(std::string(1, char('0' + channel)),
                                  absl::Base64Escape(absl::string_view(data.data(), data.size()))));
  }
  std::string payload(1, char(channel));
  payload.append(data);
  return SendFrame(uint8_t(ws::Opcode::kBinary), payload);
}

absl::Status WsTestClient::CloseChannel(uint8_t channel) {
  return SendFrame(uint8_t(ws::Opcode::kBinary), std::string{char(255), char(channel)});
}

absl::Status WsTestClient::Pump(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (close_code_) return absl::FailedPreconditionError("ws client: connection closed");
    size_t consumed = 0;
    auto parsed = ws::ParseFrame(conn_->buffer(), 1 << 24, ws::MaskPolicy::kRequireUnmasked, &consumed);
    if (!parsed.ok()) return parsed.status();
    if (!parsed->has_value()) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration() || !conn_->Recv(left)) {
        return absl::DeadlineExceededError("ws client: condition not reached");
      }
      continue;
    }
    conn_->buffer().erase(0, consumed);
    ws::Frame& f = **parsed;
    if (f.opcode == ws::Opcode::kClose) {
      auto info = ws::ParseClosePayload(f.payload);
      close_code_ = info.ok() ? info->code : 0;
      (void)SendFrame(uint8_t(ws::Opcode::kClose), ws::MakeClosePayload(1000, ""));
      continue;
    }
    if (f.opcode != ws::Opcode::kBinary && f.opcode != ws::Opcode::kText) continue;
    if (f.payload.empty()) continue;
    uint8_t channel = uint8_t(f.payload[0]);
    std::string data = f.payload.substr(1);
    if (base64_) {
      channel = uint8_t(channel - '0');
      std::string decoded;
      if (!absl::Base64Unescape(data, &decoded)) return absl::InvalidArgumentError("bad base64");
      data = decoded;
    }
    if (channel == 255) {
      if (!data.empty()) closed_channels_.push_back(uint8_t(data[0]));
      continue;
    }
    if (first_channels_.size() < 8) first_channels_.push_back(channel);
    channels_[channel] += data;
  }
  return absl::OkStatus();
}

absl::StatusOr<WsExecResult> WsExec(uint16_t port, const std::string& path,
                                    const WsExecOptions& options) {
  WsExecResult result;
  UpgradeResponse response;
  auto client = WsTestClient::Connect(port, options.method, path, options.protocols, &response);
  if (!client.ok()) return client.status();
  result.http_status = response.status;
  if (!*client) return result;
  WsTestClient& c = **client;
  result.protocol = c.protocol();
  result.accept_ok = c.accept_ok();
  if (options.resize) {
    std::string json = absl::StrCat("{\"Width\":", options.resize->first,
                                    ",\"Height\":", options.resize->second, "}");
    if (absl::Status st = c.SendChannel(4, json); !st.ok()) return st;
  }
  if (options.send_stdin) {
    if (absl::Status st = c.SendChannel(0, options.stdin_data); !st.ok()) return st;
  }
  if (options.close_stdin) {
    if (absl::Status st = c.CloseChannel(0); !st.ok()) return st;
  }
  if (absl::Status st = c.Pump([&] { return c.close_code().has_value(); }, absl::Seconds(30));
      !st.ok()) {
    return st;
  }
  result.stdout = c.channels()[1];
  result.stderr = c.channels()[2];
  result.error = c.channels()[3];
  result.first_channels = c.first_channels();
  result.closed_channels = c.closed_channels();
  result.close_code = c.close_code();
  return result;
}

}  // namespace silo::cri::streaming::testing
