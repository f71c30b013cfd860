#include "runtime/windows/hcs_streaming/session_relay.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"

namespace silo::runtime::windows::hcs_streaming {

using shim::SessionFrameType;

absl::StatusOr<RelayEnd> RelaySession(shim::Duplex& conn, const runtime::streaming::ExecStreams& streams,
                                      RelayOptions options) {
  shim::SessionWriter writer(conn);
  std::atomic<bool> client_gone{false};
  std::atomic<bool> detached{false};

  // Sizes already queued go out before any input, so the console has its
  // size when the first keystroke reaches it.
  auto send_sizes = [&] {
    while (std::optional<runtime::streaming::TerminalSize> size = streams.resize->TryNext()) {
      if (!writer.Send(SessionFrameType::kResize, shim::ResizePayload(size->width, size->height))) return false;
    }
    return true;
  };
  const bool resizing = streams.tty && streams.resize != nullptr;
  if (resizing) (void)send_sizes();
  std::thread stdin_pump;
  if (streams.stdin != nullptr) {
    stdin_pump = std::thread([&] {
      while (std::optional<std::string> data = streams.stdin->Read()) {
        if (!writer.Send(SessionFrameType::kStdin, *data)) return;
      }
      if (streams.stdin->abandoned()) {
        client_gone = true;
        conn.CancelRead();
      } else if (options.detach_on_stdin_eof) {
        detached = true;
        conn.CancelRead();
      } else {
        (void)writer.Send(SessionFrameType::kStdinEof);
      }
    });
  }
  std::thread resize_pump;
  if (resizing) {
    resize_pump = std::thread([&] {
      while (streams.resize->Wait()) {
        if (!send_sizes()) return;
      }
    });
  }

  absl::StatusOr<RelayEnd> end = absl::UnavailableError("the container's silo-shim closed the session");
  while (std::optional<shim::SessionFrame> f = shim::ReadSessionFrame(conn)) {
    if (f->type == SessionFrameType::kStdout || f->type == SessionFrameType::kStderr) {
      runtime::streaming::OutputStream* out =
          f->type == SessionFrameType::kStdout ? streams.stdout : streams.stderr;
      if (out != nullptr && !out->Write(f->payload)) {
        client_gone = true;
        break;
      }
      continue;
    }
    if (f->type == SessionFrameType::kExit) {
      RelayEnd exited;
      if (!shim::ParseExit(f->payload, &exited.exit_code)) {
        end = absl::InternalError("the container's silo-shim sent a malformed exit");
      } else {
        end = exited;
      }
      break;
    }
    if (f->type == SessionFrameType::kFailed) {
      end = absl::InternalError(absl::StrCat("silo-shim: ", f->payload));
      break;
    }
  }
  // Wake the pumps: the session is over whatever they were waiting for.
  if (stdin_pump.joinable()) {
    streams.stdin->Close();
    stdin_pump.join();
  }
  if (streams.resize != nullptr) streams.resize->Close();
  if (resize_pump.joinable()) resize_pump.join();
  if (end.ok()) return end;
  if (detached) return RelayEnd{RelayEnd::Kind::kDetached, 0};
  if (client_gone) return RelayEnd{RelayEnd::Kind::kClientGone, 0};
  return end;
}

}  // namespace silo::runtime::windows::hcs_streaming
