#pragma once
// silod's StreamingRuntime: finds the container's or sandbox's record,
// applies the portable rules (exec and attach need a RUNNING container,
// port-forward a READY sandbox, a TTY attach a TTY container) and hands the
// streams to the ProcessStreaming of the record's runtime handler.
//
// Thread-safe. The managers and the registry must outlive this object.

#include "cri/streaming/streaming_runtime.h"
#include "runtime/container/container_manager.h"
#include "runtime/handler/registry.h"
#include "runtime/sandbox/sandbox_manager.h"

namespace silo::cri::streaming {

class HandlerStreamingRuntime final : public StreamingRuntime {
 public:
  HandlerStreamingRuntime(runtime::container::ContainerManager* containers,
                          runtime::sandbox::SandboxManager* sandboxes, const runtime::handler::HandlerRegistry* handlers)
      : containers_(containers), sandboxes_(sandboxes), handlers_(handlers) {}

  absl::StatusOr<int> Exec(const std::string& container_id, const std::vector<std::string>& cmd,
                           const ExecStreams& streams) override;
  absl::StatusOr<int> Attach(const std::string& container_id, const ExecStreams& streams) override;
  absl::Status PortForward(const std::string& pod_sandbox_id, int32_t port, ByteQueue* in,
                           OutputStream* out) override;

 private:
  // The RUNNING container's record, or FailedPrecondition naming `what`.
  absl::StatusOr<runtime::model::ContainerRecord> Running(const std::string& id, const std::string& what);

  runtime::container::ContainerManager* const containers_;
  runtime::sandbox::SandboxManager* const sandboxes_;
  const runtime::handler::HandlerRegistry* const handlers_;
};

}  // namespace silo::cri::streaming
