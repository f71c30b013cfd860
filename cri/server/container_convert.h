#pragma once
// Container records -> CRI messages, shared by the container_*.cc handlers.

#include "cri/api/cri.h"
#include "runtime/model/container.h"

namespace silo::cri {

void ToCriContainer(const runtime::model::ContainerRecord& record, ::runtime::v1::Container* out);
// Mounts and resources are echoed from the stored ContainerConfig.
void ToCriContainerStatus(const runtime::model::ContainerRecord& record, ::runtime::v1::ContainerStatus* out);

}  // namespace silo::cri
