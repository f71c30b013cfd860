#include "cri/server/sandbox_convert.h"

namespace silo::cri {

void ToCriMetadata(const runtime::model::SandboxRecord& record, ::runtime::v1::PodSandboxMetadata* out) {
  out->set_name(record.metadata.name);
  out->set_namespace_(record.metadata.namespace_);
  out->set_uid(record.metadata.uid);
  out->set_attempt(record.metadata.attempt);
}

void ToCriSandbox(const runtime::model::SandboxRecord& record, ::runtime::v1::PodSandbox* out) {
  out->set_id(record.id);
  ToCriMetadata(record, out->mutable_metadata());
  out->set_state(runtime::model::ToCri(record.state));
  out->set_created_at(record.created_at_ns);
  out->mutable_labels()->insert(record.labels.begin(), record.labels.end());
  out->mutable_annotations()->insert(record.annotations.begin(), record.annotations.end());
  out->set_runtime_handler(record.requested_handler);
}

void ToCriSandboxStatus(const runtime::model::SandboxRecord& record, ::runtime::v1::PodSandboxStatus* out) {
  out->set_id(record.id);
  ToCriMetadata(record, out->mutable_metadata());
  out->set_state(runtime::model::ToCri(record.state));
  out->set_created_at(record.created_at_ns);
  out->mutable_network()->set_ip(record.ip);
  for (const auto& ip : record.additional_ips) out->mutable_network()->add_additional_ips()->set_ip(ip);
  // Echo the namespace options exactly as kubelet sent them: kubelet compares
  // them with the pod spec (on Windows too, for HostProcess pods).
  absl::StatusOr<::runtime::v1::PodSandboxConfig> config = record.Config();
  if (config.ok()) {
    *out->mutable_linux()->mutable_namespaces()->mutable_options() =
        config->linux().security_context().namespace_options();
  }
  out->mutable_labels()->insert(record.labels.begin(), record.labels.end());
  out->mutable_annotations()->insert(record.annotations.begin(), record.annotations.end());
  out->set_runtime_handler(record.requested_handler);
}

}  // namespace silo::cri
