#include "runtime/windows/hcs_streaming/shim_session_calls.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cri/api/cri.h"
#include "runtime/base/status_macros.h"
#include "runtime/windows/hcs_streaming/session_relay.h"

namespace silo::runtime::windows::hcs_streaming {
namespace {

namespace wire = runtime::shim;
using runtime::streaming::AttachEnd;
using runtime::streaming::ExecStreams;

constexpr std::chrono::seconds kOpenTimeout{60};

// The session, or why the shim would not open it.
absl::StatusOr<shim::ShimSession> Open(shim::ShimPort& shims, const std::string& id, const wire::Request& request,
                                       const std::string& what) {
  auto session = shims.OpenSession(id, request, std::chrono::steady_clock::now() + kOpenTimeout);
  if (!session.ok()) {
    if (session.status().hr() == shim::kHrShimGone) {
      return absl::UnavailableError(absl::StrCat(what, ": the container's silo-shim is gone"));
    }
    return absl::UnavailableError(absl::StrCat(what, ": ", session.status().ToString()));
  }
  if (session->response.code != 0) {
    return absl::Status(static_cast<absl::StatusCode>(session->response.code),
                        absl::StrCat(what, ": ", session->response.message));
  }
  if (session->conn == nullptr) return absl::InternalError(absl::StrCat(what, ": the shim opened no session"));
  return std::move(*session);
}

}  // namespace

absl::StatusOr<int> ExecThroughShim(shim::ShimPort& shims, const std::string& container_id,
                                    const wire::Request& request, const ExecStreams& streams) {
  const std::string what = absl::StrCat("exec in container ", container_id);
  SILO_ASSIGN_OR_RETURN(shim::ShimSession session, Open(shims, container_id, request, what));
  absl::StatusOr<RelayEnd> end = RelaySession(*session.conn, streams, RelayOptions{});
  session.conn.reset();  // the monitor terminates a process nobody watches any more
  if (!end.ok()) return Annotate(end.status(), what);
  if (end->kind != RelayEnd::Kind::kExited) return absl::CancelledError(absl::StrCat(what, ": client went away"));
  return static_cast<int>(end->exit_code);
}

absl::StatusOr<AttachEnd> AttachThroughShim(shim::ShimPort& shims, const model::ContainerRecord& container,
                                            const ExecStreams& streams) {
  const std::string what = absl::StrCat("attach to container ", container.id);
  absl::StatusOr<::runtime::v1::ContainerConfig> config = container.Config();
  const bool stdin_once = config.ok() && config->stdin_once();
  wire::Request request;
  request.op = wire::Op::kAttach;
  request.tty = streams.tty;
  request.stdin = streams.stdin != nullptr;
  SILO_ASSIGN_OR_RETURN(shim::ShimSession session, Open(shims, container.id, request, what));
  RelayOptions options;
  options.detach_on_stdin_eof = !stdin_once;
  absl::StatusOr<RelayEnd> end = RelaySession(*session.conn, streams, options);
  session.conn.reset();
  if (!end.ok()) return Annotate(end.status(), what);
  switch (end->kind) {
    case RelayEnd::Kind::kExited:
      return AttachEnd::kProcessExited;
    case RelayEnd::Kind::kDetached:
      return AttachEnd::kDetached;
    case RelayEnd::Kind::kClientGone:
      break;
  }
  return absl::CancelledError(absl::StrCat(what, ": client went away"));
}

}  // namespace silo::runtime::windows::hcs_streaming
