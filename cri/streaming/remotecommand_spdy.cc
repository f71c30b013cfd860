// remotecommand over SPDY: the client opens one stream per channel, named by
// its streamType header; we wait (bounded) for the set the request implies,
// run the command, then report the outcome on the error stream.

#include <map>
#include <memory>

#include "runtime/base/mutex.h"
#include "cri/streaming/handlers.h"
#include "cri/streaming/spdy_connection.h"
#include "cri/streaming/status_json.h"
#include "spdlog/spdlog.h"

namespace silo::cri::streaming {
namespace {

int ProtocolVersion(const std::string& protocol) {
  if (protocol == "v4.channel.k8s.io") return 4;
  if (protocol == "v3.channel.k8s.io") return 3;
  if (protocol == "v2.channel.k8s.io") return 2;
  return 1;
}

}  // namespace

void ServeRemoteCommandSpdy(SocketFd fd, std::string initial_bytes, const StreamRequest& request,
                            const std::string& protocol, const HandlerOptions& options) {
  const int version = ProtocolVersion(protocol);
  std::map<std::string, bool> expected = {{"error", true},
                                          {"stdin", request.stdin},
                                          {"stdout", request.stdout},
                                          {"stderr", request.stderr && !request.tty},
                                          {"resize", request.tty && version >= 3}};
  silo::Mutex mu;
  std::map<std::string, std::shared_ptr<SpdyStream>> streams;
  // Sizes are decoded on the reader thread so a resize sent before some
  // stdin reaches the runtime before that stdin does.
  ResizeQueue resize_queue;
  ResizeDecoder resize_decoder;
  bool conn_closed = false;

  SpdyConnection::Options conn_options;
  conn_options.idle_timeout = options.idle_timeout;
  SpdyConnection conn(fd, std::move(initial_bytes), conn_options);
  conn.Start([&](std::shared_ptr<SpdyStream> stream) {
    std::string type = stream->Header("streamType");
    silo::MutexLock lock(&mu);
    auto it = expected.find(type);
    if (it == expected.end() || !it->second || streams.contains(type)) {
      stream->Reset(spdy::kRefusedStream);
      return;
    }
    if (type == "resize") {
      stream->SetDataHandler([&](std::string_view bytes) {
        for (TerminalSize size : resize_decoder.Feed(bytes)) resize_queue.Push(size);
      });
    }
    streams[type] = std::move(stream);
  }, [&] {
    silo::MutexLock lock(&mu);
    conn_closed = true;
  });

  size_t want = 0;
  for (const auto& [type, on] : expected) want += on ? 1 : 0;
  bool complete;
  {
    silo::MutexLock lock(&mu);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return streams.size() == want || conn_closed;
    };
    complete = mu.AwaitWithTimeout(absl::Condition(&ready), options.stream_creation_timeout) &&
               streams.size() == want;
  }
  if (!complete) {
    spdlog::warn("streaming: client {} before creating its streams for container {}",
                 conn.closed() ? "left" : "timed out", request.container_id);
    std::shared_ptr<SpdyStream> error;
    {
      silo::MutexLock lock(&mu);
      if (auto it = streams.find("error"); it != streams.end()) error = it->second;
    }
    if (error) {
      error->Write("timed out waiting for client to create streams");
      error->CloseWrite();
    }
    conn.Shutdown(options.linger);
    return;
  }

  // The map is complete and no longer changes; read it without the lock.
  auto get = [&](const std::string& t) ABSL_NO_THREAD_SAFETY_ANALYSIS -> SpdyStream* {
    auto it = streams.find(t);
    return it == streams.end() ? nullptr : it->second.get();
  };
  SpdyStream* error = get("error");
  SpdyStream* in = get("stdin");
  SpdyStream* out = get("stdout");
  SpdyStream* err = get("stderr");


  ExecStreams io;
  io.tty = request.tty;
  io.stdin = in ? &in->incoming() : nullptr;
  io.stdout = out;
  io.stderr = err;
  io.resize = request.tty ? &resize_queue : nullptr;
  absl::StatusOr<int> rc =
      request.kind == RequestKind::kAttach
          ? options.runtime->Attach(request.container_id, io)
          : options.runtime->Exec(request.container_id, request.cmd, io);

  if (out) out->CloseWrite();
  if (err) err->CloseWrite();
  if (version >= 4) {
    error->Write(rc.ok() ? ExitStatusJson(*rc) : InternalErrorStatusJson(std::string(rc.status().message())));
  } else if (!rc.ok()) {
    error->Write(std::string(rc.status().message()));
  } else if (*rc != 0) {
    error->Write("command terminated with non-zero exit code: exit status " + std::to_string(*rc));
  }
  error->CloseWrite();

  if (in) in->incoming().Close();
  resize_queue.Close();
  // Stops the reader before resize_queue and resize_decoder go away.
  conn.Shutdown(options.linger);
}

}  // namespace silo::cri::streaming
