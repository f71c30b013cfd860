#pragma once
// The `info["info"]` JSON of ContainerStatus and PodSandboxStatus with
// verbose set, shaped like containerd's so operators find the keys they know
// in `crictl inspect`/`inspectp`: sandboxID, pid, config, runtimeSpec,
// cniResult, runtimeHandler, beside the keys of silod's own record
// (snake_case: netns_path, cgroup_path, state, steps...).

#include <string>

#include "absl/status/statusor.h"
#include "runtime/model/container.h"
#include "runtime/model/sandbox.h"

namespace silo::cri {

// `runtime_spec`: the spec text the host created the container with; an
// error is shown in "runtimeSpecError" and runtimeSpec is null.
std::string ContainerVerboseInfo(const runtime::model::ContainerRecord& record,
                                 const absl::StatusOr<std::string>& runtime_spec);

std::string SandboxVerboseInfo(const runtime::model::SandboxRecord& record);

}  // namespace silo::cri
