// portforward.k8s.io over SPDY: the client opens an error stream and a data
// stream per forwarded connection, both carrying `port` and `requestID`;
// once a pair is complete we dial the port and copy bytes until both
// directions end. Failures go to the pair's error stream as text.

#include <atomic>
#include <charconv>
#include <list>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/base/mutex.h"
#include "cri/streaming/handlers.h"
#include "cri/streaming/spdy_connection.h"
#include "spdlog/spdlog.h"

namespace silo::cri::streaming {
namespace {

struct Pair {
  std::shared_ptr<SpdyStream> data;
  std::shared_ptr<SpdyStream> error;
  bool started = false;
};

std::optional<int32_t> ParsePort(const std::string& s) {
  int32_t port = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  if (ec != std::errc() || p != s.data() + s.size() || port <= 0 || port > 65535) return std::nullopt;
  return port;
}

void ForwardPair(const StreamRequest& request, const HandlerOptions& options, Pair pair) {
  const std::string port_text = pair.data->Header("port");
  std::optional<int32_t> port = ParsePort(port_text);
  absl::Status status =
      port ? options.runtime->PortForward(request.pod_sandbox_id, *port, &pair.data->incoming(),
                                          pair.data.get())
           : absl::InvalidArgumentError(absl::StrCat("invalid port header \"", port_text, "\""));
  if (!status.ok()) {
    std::string msg = absl::StrCat("error forwarding port ", port_text, " to pod ",
                                   request.pod_sandbox_id, ": ", status.message());
    spdlog::warn("streaming: {}", msg);
    pair.error->Write(msg);
    pair.error->CloseWrite();
    pair.data->Reset(spdy::kCancel);
    return;
  }
  pair.data->CloseWrite();
  pair.error->CloseWrite();
}

}  // namespace

void ServePortForwardSpdy(SocketFd fd, std::string initial_bytes, const StreamRequest& request,
                          const HandlerOptions& options) {
  silo::Mutex mu;
  std::map<std::string, Pair> pairs;  // by requestID
  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::list<Worker> workers;                       // reaped as they finish
  std::vector<std::weak_ptr<SpdyStream>> uploads;  // to abandon at the end
  bool done = false;
  bool conn_closed = false;

  SpdyConnection::Options conn_options;
  conn_options.idle_timeout = options.idle_timeout;
  SpdyConnection conn(fd, std::move(initial_bytes), conn_options);
  conn.Start([&](std::shared_ptr<SpdyStream> stream) {
    const std::string type = stream->Header("streamType");
    const std::string id = stream->Header("requestID");
    if ((type != "data" && type != "error") || id.empty()) {
      stream->Reset(spdy::kRefusedStream);
      return;
    }
    silo::MutexLock lock(&mu);
    Pair& pair = pairs[id];
    auto& slot = type == "data" ? pair.data : pair.error;
    if (slot || pair.started) {
      stream->Reset(spdy::kStreamInUse);
      return;
    }
    slot = std::move(stream);
    if (pair.data && pair.error && !done) {
      // Finished pairs need no bookkeeping any more.
      workers.remove_if([](Worker& w) {
        if (!w.done.load()) return false;
        w.thread.join();
        return true;
      });
      std::erase_if(uploads, [](const std::weak_ptr<SpdyStream>& w) { return w.expired(); });
      std::erase_if(pairs, [](const auto& kv) { return kv.second.started; });
      Pair started = std::move(pair);  // the worker holds the streams now
      uploads.push_back(started.data);
      Worker& w = workers.emplace_back();
      w.thread = std::thread([&request, &options, &w, started]() mutable {
        ForwardPair(request, options, std::move(started));
        w.done = true;
      });
      pairs[id].started = true;  // refuse a third stream for this requestID
    }
  }, [&] {
    silo::MutexLock lock(&mu);
    conn_closed = true;
  });

  // The session lasts until the client hangs up (or idles out).
  {
    silo::MutexLock lock(&mu);
    mu.Await(absl::Condition(&conn_closed));
    done = true;
  }
  // The client is gone: abandon every upload so workers stop waiting on
  // targets that keep their side open.
  for (auto& weak : uploads) {
    if (auto s = weak.lock()) s->incoming().Close();
  }
  for (Worker& w : workers) w.thread.join();
  conn.Shutdown(absl::ZeroDuration());
}

}  // namespace silo::cri::streaming
