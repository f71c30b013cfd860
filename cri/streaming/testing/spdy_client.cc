#include "cri/streaming/testing/spdy_client.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cri/streaming/spdy_frame.h"

namespace silo::cri::streaming::testing {

absl::StatusOr<std::unique_ptr<SpdyTestClient>> SpdyTestClient::Connect(
    uint16_t port, const std::string& method, const std::string& path,
    const std::vector<std::string>& protocols, UpgradeResponse* response) {
  auto conn = ClientConn::Dial(port);
  if (!conn.ok()) return conn.status();
  std::vector<std::pair<std::string, std::string>> headers = {{"Connection", "Upgrade"},
                                                              {"Upgrade", "SPDY/3.1"}};
  // client-go sends one header line per protocol.
  for (const std::string& p : protocols) headers.emplace_back("X-Stream-Protocol-Version", p);
  auto res = (*conn)->Upgrade(method, path, headers);
  if (!res.ok()) return res.status();
  *response = *res;
  if (res->status != 101) return nullptr;
  return std::unique_ptr<SpdyTestClient>(new SpdyTestClient(*std::move(conn)));
}

absl::Status SpdyTestClient::SendFrame(const spdy::Frame& frame) {
  auto bytes = spdy::SerializeFrame(frame);
  if (!bytes.ok()) return bytes.status();
  return conn_->Send(*bytes);
}

absl::StatusOr<uint32_t> SpdyTestClient::OpenStream(const spdy::HeaderBlock& headers, bool fin) {
  auto block = compressor_.Compress(headers);
  if (!block.ok()) return block.status();
  uint32_t id = next_id_;
  next_id_ += 2;
  streams_[id];
  absl::Status st = SendFrame(spdy::MakeSynStream(id, *block, fin ? spdy::kFlagFin : 0));
  if (!st.ok()) return st;
  return id;
}

absl::Status SpdyTestClient::SendData(uint32_t stream_id, std::string_view data, bool fin) {
  return SendFrame(spdy::MakeData(stream_id, std::string(data), fin));
}

absl::Status SpdyTestClient::Ping(uint32_t id) { return SendFrame(spdy::MakePing(id)); }

absl::Status SpdyTestClient::Pump(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    size_t consumed = 0;
    auto parsed = spdy::ParseFrame(conn_->buffer(), 1 << 24, &consumed);
    if (!parsed.ok()) return parsed.status();
    if (!parsed->has_value()) {
      absl::Duration left = deadline - absl::Now();
      if (eof_ || left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError("spdy client: condition not reached");
      }
      if (!conn_->Recv(left)) eof_ = true;
      continue;
    }
    conn_->buffer().erase(0, consumed);
    spdy::Frame& f = **parsed;
    switch (f.type) {
      case spdy::FrameType::kSynReply: {
        auto h = decompressor_.Decompress(f.header_block);
        if (!h.ok()) return h.status();
        streams_[f.stream_id].replied = true;
        if (f.fin()) streams_[f.stream_id].fin = true;
        break;
      }
      case spdy::FrameType::kData:
        streams_[f.stream_id].data += f.data;
        if (f.fin()) streams_[f.stream_id].fin = true;
        break;
      case spdy::FrameType::kRstStream:
        streams_[f.stream_id].reset = true;
        break;
      case spdy::FrameType::kGoAway:
        goaway_ = true;
        break;
      case spdy::FrameType::kPing:
        pongs_.push_back(f.ping_id);
        break;
      case spdy::FrameType::kSynStream:
      case spdy::FrameType::kHeaders: {
        auto h = decompressor_.Decompress(f.header_block);
        if (!h.ok()) return h.status();
        break;
      }
      default:
        break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ExecResult> SpdyExec(uint16_t port, const std::string& path,
                                    const ExecOptions& options) {
  ExecResult result;
  UpgradeResponse response;
  auto client = SpdyTestClient::Connect(port, options.method, path, options.protocols, &response);
  if (!client.ok()) return client.status();
  result.http_status = response.status;
  if (!*client) return result;
  SpdyTestClient& c = **client;
  result.protocol = response.headers["x-stream-protocol-version"];

  auto open = [&](const char* type) { return c.OpenStream({{"streamType", type}}, false); };
  auto error_id = open("error");
  if (!error_id.ok()) return error_id.status();
  std::optional<uint32_t> in, out, err, resize;
  if (options.stdin) {
    auto id = open("stdin");
    if (!id.ok()) return id.status();
    in = *id;
  }
  if (options.stdout) {
    auto id = open("stdout");
    if (!id.ok()) return id.status();
    out = *id;
  }
  if (options.stderr && !options.tty) {
    auto id = open("stderr");
    if (!id.ok()) return id.status();
    err = *id;
  }
  if (options.tty) {
    auto id = open("resize");
    if (!id.ok()) return id.status();
    resize = *id;
  }
  if (resize && options.resize) {
    std::string json = absl::StrCat("{\"Width\":", options.resize->first,
                                    ",\"Height\":", options.resize->second, "}");
    if (absl::Status st = c.SendData(*resize, json, false); !st.ok()) return st;
  }
  if (in) {
    if (!options.stdin_data.empty()) {
      if (absl::Status st = c.SendData(*in, options.stdin_data, false); !st.ok()) return st;
    }
    if (absl::Status st = c.SendData(*in, "", true); !st.ok()) return st;
  }
  absl::Status st = c.Pump(
      [&] {
        return c.stream(*error_id).fin && (!out || c.stream(*out).fin) &&
               (!err || c.stream(*err).fin);
      },
      absl::Seconds(30));
  if (!st.ok()) return st;
  result.error = c.stream(*error_id).data;
  if (out) result.stdout = c.stream(*out).data;
  if (err) result.stderr = c.stream(*err).data;
  return result;
}

}  // namespace silo::cri::streaming::testing
