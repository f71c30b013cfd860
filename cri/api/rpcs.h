#pragma once
// The CRI RPCs as X-macro lists, so the service interface, the gRPC adapter
// and the tests enumerate the same 41 methods from one place. Each entry
// X(Name) implies NameRequest / NameResponse, except GetContainerEvents, whose
// types (GetEventsRequest, stream ContainerEventResponse) break the pattern.
//
// Beware: the CRI enum runtime::v1::Signal has values named SIGABRT, SIGKILL...
// which <signal.h> defines as macros. A file must not include both api.pb.h
// and <signal.h>; keep signal handling in files that do not see the CRI types.

// RuntimeService, unary (29).
#define SILO_CRI_RUNTIME_UNARY_RPCS(X) \
  X(Version)                           \
  X(RunPodSandbox)                     \
  X(StopPodSandbox)                    \
  X(RemovePodSandbox)                  \
  X(PodSandboxStatus)                  \
  X(ListPodSandbox)                    \
  X(CreateContainer)                   \
  X(StartContainer)                    \
  X(StopContainer)                     \
  X(RemoveContainer)                   \
  X(ListContainers)                    \
  X(ContainerStatus)                   \
  X(UpdateContainerResources)          \
  X(ReopenContainerLog)                \
  X(ExecSync)                          \
  X(Exec)                              \
  X(Attach)                            \
  X(PortForward)                       \
  X(ContainerStats)                    \
  X(ListContainerStats)                \
  X(PodSandboxStats)                   \
  X(ListPodSandboxStats)               \
  X(UpdateRuntimeConfig)               \
  X(Status)                            \
  X(CheckpointContainer)               \
  X(ListMetricDescriptors)             \
  X(ListPodSandboxMetrics)             \
  X(RuntimeConfig)                     \
  X(UpdatePodSandboxResources)

// RuntimeService, server-streaming with the NameRequest/NameResponse pattern (5).
#define SILO_CRI_RUNTIME_STREAM_RPCS(X) \
  X(StreamPodSandboxes)                 \
  X(StreamContainers)                   \
  X(StreamContainerStats)               \
  X(StreamPodSandboxStats)              \
  X(StreamPodSandboxMetrics)

// ImageService, unary (5) and streaming (1).
#define SILO_CRI_IMAGE_UNARY_RPCS(X) \
  X(ListImages)                      \
  X(ImageStatus)                     \
  X(PullImage)                       \
  X(RemoveImage)                     \
  X(ImageFsInfo)

#define SILO_CRI_IMAGE_STREAM_RPCS(X) X(StreamImages)
