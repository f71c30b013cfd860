#pragma once
// A ProcessStreaming for unit tests: exec answers "<name> ran: <cmd>" on
// stdout (exit 0, or 1 for "false"), attach ends as if the process exited,
// port-forward echoes what it receives. Every call is logged ("Exec <id>").

#include <string>
#include <vector>

#include "runtime/base/mutex.h"
#include "runtime/streaming/process_streaming.h"

namespace silo::runtime::fake {

class FakeProcessStreaming final : public streaming::ProcessStreaming {
 public:
  explicit FakeProcessStreaming(std::string name) : name_(std::move(name)) {}

  absl::StatusOr<int> Exec(const model::ContainerRecord& container, const std::vector<std::string>& cmd,
                           const streaming::ExecStreams& streams) override;
  absl::StatusOr<streaming::AttachEnd> Attach(const model::ContainerRecord& container,
                                              const streaming::ExecStreams& streams) override;
  absl::Status PortForward(const model::SandboxRecord& sandbox, int32_t port, streaming::ByteQueue* in,
                           streaming::OutputStream* out) override;

  std::vector<std::string> Calls() const;

 private:
  const std::string name_;
  mutable silo::Mutex mu_;
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::runtime::fake
