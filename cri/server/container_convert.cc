#include "cri/server/container_convert.h"

namespace silo::cri {
namespace {

void FillMetadata(const runtime::model::ContainerRecord& record, ::runtime::v1::ContainerMetadata* out) {
  out->set_name(record.metadata.name);
  out->set_attempt(record.metadata.attempt);
}

}  // namespace

void ToCriContainer(const runtime::model::ContainerRecord& record, ::runtime::v1::Container* out) {
  out->set_id(record.id);
  out->set_pod_sandbox_id(record.sandbox_id);
  FillMetadata(record, out->mutable_metadata());
  out->mutable_image()->set_image(record.image_ref);
  out->set_image_ref(record.image_id);
  out->set_image_id(record.image_id);
  out->set_state(runtime::model::ToCri(record.State()));
  out->set_created_at(record.created_at_ns);
  out->mutable_labels()->insert(record.labels.begin(), record.labels.end());
  out->mutable_annotations()->insert(record.annotations.begin(), record.annotations.end());
}

void ToCriContainerStatus(const runtime::model::ContainerRecord& record, ::runtime::v1::ContainerStatus* out) {
  out->set_id(record.id);
  FillMetadata(record, out->mutable_metadata());
  out->set_state(runtime::model::ToCri(record.State()));
  out->set_created_at(record.created_at_ns);
  out->set_started_at(record.started_at_ns);
  out->set_finished_at(record.finished_at_ns);
  out->set_exit_code(record.exit_code);
  out->mutable_image()->set_image(record.image_ref);
  out->set_image_ref(record.image_id);
  out->set_image_id(record.image_id);
  out->set_reason(record.reason);
  out->set_message(record.message);
  out->mutable_labels()->insert(record.labels.begin(), record.labels.end());
  out->mutable_annotations()->insert(record.annotations.begin(), record.annotations.end());
  out->set_log_path(record.log_path);
  auto config = record.Config();
  if (config.ok()) {
    out->mutable_mounts()->CopyFrom(config->mounts());
    if (config->linux().has_resources()) *out->mutable_resources()->mutable_linux() = config->linux().resources();
  }
}

}  // namespace silo::cri
