#include "cri/server/sandbox_convert.h"
#include "cri/server/service.h"

namespace silo::cri {

// Filters (id or unique id prefix, state, label selector) are ANDed. The
// state filter compares CRI states, so NOTREADY also matches sandboxes that
// are being created or in an unknown state.
absl::Status Service::ListPodSandbox(const ::runtime::v1::ListPodSandboxRequest& request,
                                     ::runtime::v1::ListPodSandboxResponse* response) {
  if (sandboxes_ == nullptr) return UnimplementedRpc("ListPodSandbox");
  const auto& f = request.filter();
  runtime::store::SandboxFilter filter;
  filter.id = f.id();
  filter.labels.insert(f.label_selector().begin(), f.label_selector().end());
  // Converted straight from the store, without copying the records.
  sandboxes_->Visit(filter, [&](const runtime::model::SandboxRecord& record) {
    if (f.has_state() && runtime::model::ToCri(record.state) != f.state().state()) return;
    ToCriSandbox(record, response->add_items());
  });
  return absl::OkStatus();
}

}  // namespace silo::cri
