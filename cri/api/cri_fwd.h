#pragma once
// Forward declarations of the CRI messages and enums that headers outside cri/
// name only by reference or pointer. A header that needs no member of a
// message includes this instead of cri/api/cri.h, so the objects that include
// it do not parse the generated messages (most of a CRI-heavy object's
// compile time). The .cc that uses the members includes cri/api/cri.h.

namespace runtime::v1 {

// The generated enums have int as their underlying type, so they can be
// declared opaquely here and completed by the generated header.
enum PodSandboxState : int;
enum ContainerState : int;

class ContainerConfig;
class ContainerMetadata;
class LinuxContainerResources;
class PodSandboxConfig;
class PodSandboxMetadata;

}  // namespace runtime::v1
