// remotecommand over a channel WebSocket (channel.k8s.io family, v4 and v5).

#include <memory>
#include <thread>

#include "cri/streaming/handlers.h"
#include "cri/streaming/status_json.h"
#include "cri/streaming/ws_connection.h"

namespace silo::cri::streaming {

void ServeRemoteCommandWebSocket(SocketFd fd, std::string initial_bytes, const StreamRequest& request,
                                 const std::string& protocol, const HandlerOptions& options) {
  WsChannelConnection::Options conn_options;
  conn_options.base64 = protocol.find("base64") != std::string::npos;
  conn_options.v5 = protocol == "v5.channel.k8s.io";
  conn_options.idle_timeout = options.idle_timeout;
  const bool json_status = protocol.rfind("v4.", 0) == 0 || conn_options.v5;

  ByteQueue stdin_queue;
  ResizeQueue resize_queue;
  ResizeDecoder resize_decoder;  // reader thread only
  WsChannelConnection conn(fd, std::move(initial_bytes), conn_options);
  conn.Start(WsChannelConnection::Callbacks{
      .on_data =
          [&](uint8_t channel, std::string data) {
            if (channel == kChannelStdin && request.stdin) {
              stdin_queue.Write(data);
            } else if (channel == kChannelResize && request.tty) {
              for (TerminalSize s : resize_decoder.Feed(data)) resize_queue.Push(s);
            }
          },
      .on_channel_close =
          [&](uint8_t channel) {
            if (channel == kChannelStdin) stdin_queue.CloseWrite();
            if (channel == kChannelResize) resize_queue.Close();
          },
      .on_end =
          [&] {
            stdin_queue.CloseWrite();
            resize_queue.Close();
          },
  });

  // Ready signal: an empty message on the first output channel we will use.
  uint8_t ready = request.stdout ? kChannelStdout
                  : (request.stderr && !request.tty) ? kChannelStderr
                                                     : kChannelError;
  conn.WriteChannel(ready, "");

  WsChannelWriter out(&conn, kChannelStdout);
  WsChannelWriter err(&conn, kChannelStderr);
  ExecStreams io;
  io.tty = request.tty;
  io.stdin = request.stdin ? &stdin_queue : nullptr;
  io.stdout = request.stdout ? &out : nullptr;
  io.stderr = request.stderr && !request.tty ? &err : nullptr;
  io.resize = request.tty ? &resize_queue : nullptr;
  absl::StatusOr<int> rc =
      request.kind == RequestKind::kAttach
          ? options.runtime->Attach(request.container_id, io)
          : options.runtime->Exec(request.container_id, request.cmd, io);

  if (io.stdout) conn.CloseChannel(kChannelStdout);
  if (io.stderr) conn.CloseChannel(kChannelStderr);
  if (json_status) {
    conn.WriteChannel(kChannelError,
                      rc.ok() ? ExitStatusJson(*rc) : InternalErrorStatusJson(std::string(rc.status().message())));
  } else if (!rc.ok()) {
    conn.WriteChannel(kChannelError, std::string(rc.status().message()));
  } else if (*rc != 0) {
    conn.WriteChannel(kChannelError,
                      "command terminated with non-zero exit code: exit status " + std::to_string(*rc));
  }
  conn.CloseChannel(kChannelError);
  stdin_queue.Close();
  resize_queue.Close();
  conn.Shutdown(options.linger);
}

}  // namespace silo::cri::streaming
