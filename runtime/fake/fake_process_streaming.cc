#include "runtime/fake/fake_process_streaming.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace silo::runtime::fake {

absl::StatusOr<int> FakeProcessStreaming::Exec(const model::ContainerRecord& container,
                                               const std::vector<std::string>& cmd,
                                               const streaming::ExecStreams& streams) {
  {
    silo::MutexLock lock(&mu_);
    calls_.push_back(absl::StrCat("Exec ", container.id));
  }
  if (streams.stdout != nullptr &&
      !streams.stdout->Write(absl::StrCat(name_, " ran: ", absl::StrJoin(cmd, " "), "\n"))) {
    return absl::CancelledError("exec: client went away");
  }
  return !cmd.empty() && cmd[0] == "false" ? 1 : 0;
}

absl::StatusOr<streaming::AttachEnd> FakeProcessStreaming::Attach(const model::ContainerRecord& container,
                                                                  const streaming::ExecStreams&) {
  silo::MutexLock lock(&mu_);
  calls_.push_back(absl::StrCat("Attach ", container.id));
  return streaming::AttachEnd::kProcessExited;
}

absl::Status FakeProcessStreaming::PortForward(const model::SandboxRecord& sandbox, int32_t port,
                                               streaming::ByteQueue* in, streaming::OutputStream* out) {
  {
    silo::MutexLock lock(&mu_);
    calls_.push_back(absl::StrCat("PortForward ", sandbox.id, " ", port));
  }
  while (auto data = in->Read()) {
    if (!out->Write(*data)) break;
  }
  return absl::OkStatus();
}

std::vector<std::string> FakeProcessStreaming::Calls() const {
  silo::MutexLock lock(&mu_);
  return calls_;
}

}  // namespace silo::runtime::fake
