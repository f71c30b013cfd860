// Port-forward over a channel WebSocket: the ports come from the URL's
// `ports` query; port i uses channel 2i for data and 2i+1 for errors, and
// each channel's first message is the port as a little-endian uint16. One
// connection per port lives as long as the WebSocket.

#include <list>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/base/mutex.h"
#include "cri/streaming/handlers.h"
#include "cri/streaming/ws_connection.h"
#include "spdlog/spdlog.h"

namespace silo::cri::streaming {

void ServePortForwardWebSocket(SocketFd fd, std::string initial_bytes, const StreamRequest& request,
                               const std::string& protocol, const std::vector<int32_t>& ports,
                               const HandlerOptions& options) {
  WsChannelConnection::Options conn_options;
  conn_options.base64 = protocol.find("base64") != std::string::npos;
  conn_options.idle_timeout = options.idle_timeout;

  std::vector<std::unique_ptr<ByteQueue>> uploads;
  std::vector<std::unique_ptr<WsChannelWriter>> data_writers;
  silo::Notification ended;
  WsChannelConnection conn(fd, std::move(initial_bytes), conn_options);
  for (size_t i = 0; i < ports.size(); ++i) {
    uploads.push_back(std::make_unique<ByteQueue>());
    data_writers.push_back(std::make_unique<WsChannelWriter>(&conn, uint8_t(2 * i)));
  }
  conn.Start(WsChannelConnection::Callbacks{
      .on_data =
          [&](uint8_t channel, std::string data) {
            if (channel % 2 == 0 && channel / 2 < uploads.size()) uploads[channel / 2]->Write(data);
          },
      .on_channel_close = nullptr,
      .on_end =
          [&] {
            // The WebSocket is the only carrier: when it ends, the client is gone.
            for (auto& q : uploads) q->Close();
            ended.Notify();
          },
  });

  std::list<std::thread> workers;
  for (size_t i = 0; i < ports.size(); ++i) {
    const std::string le = {char(ports[i] & 0xff), char((ports[i] >> 8) & 0xff)};
    conn.WriteChannel(uint8_t(2 * i), le);
    conn.WriteChannel(uint8_t(2 * i + 1), le);
    workers.emplace_back([&, i] {
      absl::Status st = options.runtime->PortForward(request.pod_sandbox_id, ports[i],
                                                     uploads[i].get(), data_writers[i].get());
      if (!st.ok()) {
        std::string msg = absl::StrCat("error forwarding port ", ports[i], " to pod ",
                                       request.pod_sandbox_id, ": ", st.message());
        spdlog::warn("streaming: {}", msg);
        conn.WriteChannel(uint8_t(2 * i + 1), msg);
      }
    });
  }
  ended.WaitForNotification();
  for (std::thread& t : workers) t.join();
  conn.Shutdown(absl::ZeroDuration());
}

}  // namespace silo::cri::streaming
