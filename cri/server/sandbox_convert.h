#pragma once
// Sandbox records -> CRI messages, shared by the sandbox_*.cc handlers.

#include "cri/api/cri.h"
#include "runtime/model/sandbox.h"

namespace silo::cri {

void ToCriMetadata(const runtime::model::SandboxRecord& record, ::runtime::v1::PodSandboxMetadata* out);
void ToCriSandbox(const runtime::model::SandboxRecord& record, ::runtime::v1::PodSandbox* out);
void ToCriSandboxStatus(const runtime::model::SandboxRecord& record, ::runtime::v1::PodSandboxStatus* out);

}  // namespace silo::cri
