// GetContainerEvents: the life-cycle events of containers and pod sandboxes
// for kubelet's Evented PLEG. Each event carries the pod's current status so
// kubelet needs no follow-up calls; a client that falls behind loses its
// stream (ResourceExhausted) and kubelet then relists, as with containerd.

#include <chrono>

#include "absl/strings/str_cat.h"
#include "cri/server/container_convert.h"
#include "cri/server/sandbox_convert.h"
#include "cri/server/service.h"

namespace silo::cri {
namespace {

namespace events = runtime::events;

// How often a waiting stream notices that its client went away.
constexpr std::chrono::milliseconds kCancelPoll(200);

::runtime::v1::ContainerEventType ToCriEventType(events::EventType type) {
  switch (type) {
    case events::EventType::kCreated:
      return ::runtime::v1::CONTAINER_CREATED_EVENT;
    case events::EventType::kStarted:
      return ::runtime::v1::CONTAINER_STARTED_EVENT;
    case events::EventType::kStopped:
      return ::runtime::v1::CONTAINER_STOPPED_EVENT;
    case events::EventType::kDeleted:
      return ::runtime::v1::CONTAINER_DELETED_EVENT;
  }
  return ::runtime::v1::CONTAINER_CREATED_EVENT;
}

}  // namespace

absl::Status Service::GetContainerEvents(const ::runtime::v1::GetEventsRequest& /*request*/,
                                         StreamSink<::runtime::v1::ContainerEventResponse>& sink) {
  if (events_ == nullptr) return UnimplementedRpc("GetContainerEvents");
  events::EventBus::Subscription subscription = events_->Subscribe();
  while (!sink.IsCancelled()) {
    absl::StatusOr<events::Event> event = subscription.Next(std::chrono::steady_clock::now() + kCancelPoll);
    if (absl::IsDeadlineExceeded(event.status())) continue;
    if (absl::IsResourceExhausted(event.status())) {
      return absl::ResourceExhaustedError(
          absl::StrCat("GetContainerEvents: client fell behind and events were lost; relist (", event.status().message(),
                       ")"));
    }
    if (!event.ok()) return event.status();

    ::runtime::v1::ContainerEventResponse response;
    response.set_container_id(event->id);
    response.set_container_event_type(ToCriEventType(event->type));
    response.set_created_at(event->timestamp_ns);
    // The pod as it is now; gone after a sandbox DELETED, then left unset.
    if (sandboxes_ != nullptr && !event->sandbox_id.empty()) {
      absl::StatusOr<runtime::model::SandboxRecord> sandbox = sandboxes_->Status(event->sandbox_id);
      if (sandbox.ok()) ToCriSandboxStatus(*sandbox, response.mutable_pod_sandbox_status());
    }
    if (containers_ != nullptr && !event->sandbox_id.empty()) {
      runtime::store::ContainerFilter filter;
      filter.sandbox_id = event->sandbox_id;
      for (const runtime::model::ContainerRecord& c : containers_->List(filter)) {
        ToCriContainerStatus(c, response.add_containers_statuses());
      }
    }
    if (!sink.Write(response)) break;  // the client went away
  }
  return absl::OkStatus();
}

}  // namespace silo::cri
