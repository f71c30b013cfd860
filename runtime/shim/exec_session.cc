#include "runtime/shim/exec_session.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::shim {

ExecSession::~ExecSession() { CloseAll(); }

void ExecSession::CloseAll() {
  for (int* fd : {&out_fd, &err_fd}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void ExecSession::Drain(int fd) {
  int* slot = fd == out_fd ? &out_fd : &err_fd;
  std::string* sink = fd == out_fd ? &out : &err;
  char buf[64 * 1024];
  while (true) {
    ssize_t n = ::read(*slot, buf, sizeof(buf));
    if (n > 0) {
      size_t room = kMaxExecOutput - std::min(kMaxExecOutput, sink->size());
      sink->append(buf, std::min(room, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    ::close(*slot);
    *slot = -1;
    return;
  }
}

absl::StatusOr<std::string> BuildExecProcessJson(absl::string_view config_json, const Request& request) {
  try {
    nlohmann::json process = nlohmann::json::parse(config_json.begin(), config_json.end()).at("process");
    if (!process.is_object()) throw std::invalid_argument("process is not an object");
    process["args"] = request.args;
    process["terminal"] = request.stream && request.tty;  // a pty only for interactive exec
    if (!process.contains("env")) process["env"] = nlohmann::json::array();
    for (const std::string& kv : request.env) process["env"].push_back(kv);
    if (!request.cwd.empty()) process["cwd"] = request.cwd;
    return process.dump();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("bad container config.json for exec: ", e.what()));
  }
}

}  // namespace silo::runtime::shim
