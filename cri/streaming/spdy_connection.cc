#include "cri/streaming/spdy_connection.h"

#include <cerrno>

#include "cri/streaming/socket_io.h"
#include "spdlog/spdlog.h"
#include "runtime/base/mutex.h"

namespace silo::cri::streaming {

namespace {
constexpr size_t kMaxDataChunk = 32 * 1024;
int64_t NowNs() { return absl::GetCurrentTimeNanos(); }
}  // namespace

bool SpdyStream::Write(std::string_view data) {
  if (write_closed_.load()) return false;
  while (!data.empty()) {
    size_t n = std::min(data.size(), kMaxDataChunk);
    if (!conn_->SendFrame(spdy::MakeData(id_, std::string(data.substr(0, n)), false))) return false;
    data.remove_prefix(n);
  }
  return true;
}

void SpdyStream::CloseWrite() {
  if (write_closed_.exchange(true)) return;
  conn_->SendFrame(spdy::MakeData(id_, "", true));
  conn_->MaybeForget(id_);
}

void SpdyStream::Reset(uint32_t status) {
  if (write_closed_.exchange(true)) return;
  remote_closed_ = true;
  incoming_.Close();
  conn_->SendFrame(spdy::MakeRstStream(id_, status));
  conn_->MaybeForget(id_);
}

void SpdyConnection::MaybeForget(uint32_t id) {
  silo::MutexLock lock(&streams_mu_);
  auto it = streams_.find(id);
  if (it != streams_.end() && it->second->write_closed_.load() &&
      it->second->remote_closed_.load()) {
    streams_.erase(it);
  }
}

SpdyConnection::SpdyConnection(SocketFd fd, std::string initial_bytes, Options options)
    : fd_(fd), inbuf_(std::move(initial_bytes)), options_(options) {
  last_activity_ns_ = NowNs();
}

SpdyConnection::~SpdyConnection() { Shutdown(absl::ZeroDuration()); }

void SpdyConnection::Start(StreamHandler on_stream, std::function<void()> on_closed) {
  on_stream_ = std::move(on_stream);
  on_closed_ = std::move(on_closed);
  reader_ = std::thread([this] { ReadLoop(); });
}

bool SpdyConnection::SendFrame(const spdy::Frame& frame) {
  silo::MutexLock lock(&write_mu_);
  if (write_failed_) return false;
  spdy::Frame f = frame;
  if (f.type == spdy::FrameType::kSynReply) {
    // Header blocks must be compressed in wire order: one zlib stream per
    // direction, hence under the write lock.
    auto block = compressor_.Compress({});
    if (!block.ok()) {
      write_failed_ = true;
      return false;
    }
    f.header_block = *block;
  }
  auto bytes = spdy::SerializeFrame(f);
  if (!bytes.ok() || !SendAll(fd_, *bytes)) {
    write_failed_ = true;
    return false;
  }
  last_activity_ns_ = NowNs();
  return true;
}

void SpdyConnection::ReadLoop() {
  char buf[16 * 1024];
  bool ok = true;
  while (ok && !stop_.load()) {
    // Frames already buffered (including bytes read with the HTTP request).
    while (ok) {
      size_t consumed = 0;
      auto parsed = spdy::ParseFrame(inbuf_, options_.max_frame_length, &consumed);
      if (!parsed.ok()) {
        spdlog::warn("spdy: closing session: {}", std::string(parsed.status().message()));
        SendFrame(spdy::MakeGoAway(last_stream_id_, 1));
        ok = false;
        break;
      }
      if (!parsed->has_value()) break;
      inbuf_.erase(0, consumed);
      ok = HandleFrame(std::move(**parsed));
    }
    if (!ok) break;
    WaitResult w = WaitReadable(fd_, absl::Seconds(1));
    if (w == WaitResult::kError) break;
    if (w == WaitResult::kTimeout) {
      if (absl::Nanoseconds(NowNs() - last_activity_ns_.load()) >= options_.idle_timeout) {
        spdlog::info("spdy: closing idle session");
        SendFrame(spdy::MakeGoAway(last_stream_id_, 0));
        break;
      }
      continue;
    }
    long n = RecvSome(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    last_activity_ns_ = NowNs();
    inbuf_.append(buf, size_t(n));
  }
  {
    silo::MutexLock lock(&write_mu_);
    write_failed_ = true;  // peer gone or session over: writers stop producing
  }
  {
    silo::MutexLock lock(&streams_mu_);
    for (auto& [id, s] : streams_) s->incoming().CloseWrite();
  }
  closed_ = true;
  if (on_closed_) on_closed_();
  reader_done_.Notify();
}

bool SpdyConnection::HandleFrame(spdy::Frame f) {
  switch (f.type) {
    case spdy::FrameType::kSynStream: {
      auto headers = decompressor_.Decompress(f.header_block);
      if (!headers.ok()) {
        spdlog::warn("spdy: bad header block: {}", std::string(headers.status().message()));
        SendFrame(spdy::MakeGoAway(last_stream_id_, 1));
        return false;
      }
      if (f.stream_id % 2 == 0 || f.stream_id <= last_stream_id_) {
        SendFrame(spdy::MakeRstStream(f.stream_id, spdy::kProtocolError));
        return true;
      }
      last_stream_id_ = f.stream_id;
      auto stream = std::make_shared<SpdyStream>(this, f.stream_id, *std::move(headers));
      if (f.fin()) {
        stream->remote_closed_ = true;
        stream->incoming().CloseWrite();
      }
      {
        silo::MutexLock lock(&streams_mu_);
        streams_[f.stream_id] = stream;
      }
      SendFrame(spdy::MakeSynReply(f.stream_id, "", 0));
      if (on_stream_) on_stream_(stream);
      return true;
    }
    case spdy::FrameType::kSynReply:
    case spdy::FrameType::kHeaders:
      // Decoded only to keep the shared zlib context in step.
      if (!decompressor_.Decompress(f.header_block).ok()) return false;
      return true;
    case spdy::FrameType::kData: {
      std::shared_ptr<SpdyStream> stream;
      {
        silo::MutexLock lock(&streams_mu_);
        auto it = streams_.find(f.stream_id);
        if (it != streams_.end()) stream = it->second;
      }
      if (!stream) {
        SendFrame(spdy::MakeRstStream(f.stream_id, spdy::kInvalidStream));
        return true;
      }
      if (!f.data.empty()) {
        if (stream->data_handler_) {
          stream->data_handler_(f.data);
        } else {
          stream->incoming().Write(f.data);
        }
      }
      if (f.fin()) {
        stream->remote_closed_ = true;
        stream->incoming().CloseWrite();
        MaybeForget(f.stream_id);
      }
      return true;
    }
    case spdy::FrameType::kRstStream: {
      silo::MutexLock lock(&streams_mu_);
      auto it = streams_.find(f.stream_id);
      if (it != streams_.end()) {
        it->second->write_closed_ = true;
        it->second->remote_closed_ = true;
        it->second->incoming().Close();
        streams_.erase(it);
      }
      return true;
    }
    case spdy::FrameType::kPing:
      SendFrame(spdy::MakePing(f.ping_id));
      return true;
    case spdy::FrameType::kGoAway:
    case spdy::FrameType::kSettings:
    case spdy::FrameType::kWindowUpdate:
      return true;
  }
  return true;
}

void SpdyConnection::Shutdown(absl::Duration linger) {
  if (shut_down_.exchange(true)) return;
  if (reader_.joinable()) {
    SendFrame(spdy::MakeGoAway(last_stream_id_, 0));
    ShutdownSend(fd_);
    // Give the peer time to read everything and close, so our close does not
    // turn into a reset that discards the tail of the output.
    reader_done_.WaitForNotificationWithTimeout(linger);
    stop_ = true;
    ShutdownSocket(fd_);
    reader_.join();
  }
}

}  // namespace silo::cri::streaming
