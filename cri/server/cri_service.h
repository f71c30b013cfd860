#pragma once
// CriService: the platform-neutral CRI handlers, one virtual per RPC. Handlers
// return absl::Status and never build a grpc::Status; cri/grpc converts in one
// place. Every RPC a concrete service does not override answers UNIMPLEMENTED
// naming the RPC: never a fake success.
//
// Thread-safety: handlers are called concurrently from gRPC's thread pool.

#include <string>

#include "absl/status/status.h"
#include "cri/api/cri.h"
#include "cri/api/rpcs.h"

namespace silo::cri {

// Where a server-streaming handler writes its messages.
template <typename T>
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // False once the client has gone away; stop producing then.
  virtual bool Write(const T& message) = 0;
  virtual bool IsCancelled() const = 0;
};

absl::Status UnimplementedRpc(const char* rpc);

class CriService {
 public:
  virtual ~CriService() = default;

#define SILO_CRI_DECLARE_UNARY(name)                                              \
  virtual absl::Status name(const ::runtime::v1::name##Request& request,          \
                            ::runtime::v1::name##Response* response) {            \
    return UnimplementedRpc(#name);                                               \
  }
#define SILO_CRI_DECLARE_STREAM(name)                                             \
  virtual absl::Status name(const ::runtime::v1::name##Request& request,          \
                            StreamSink<::runtime::v1::name##Response>& sink) {    \
    return UnimplementedRpc(#name);                                               \
  }
  SILO_CRI_RUNTIME_UNARY_RPCS(SILO_CRI_DECLARE_UNARY)
  SILO_CRI_RUNTIME_STREAM_RPCS(SILO_CRI_DECLARE_STREAM)
  SILO_CRI_IMAGE_UNARY_RPCS(SILO_CRI_DECLARE_UNARY)
  SILO_CRI_IMAGE_STREAM_RPCS(SILO_CRI_DECLARE_STREAM)
#undef SILO_CRI_DECLARE_UNARY
#undef SILO_CRI_DECLARE_STREAM

  virtual absl::Status GetContainerEvents(const ::runtime::v1::GetEventsRequest& request,
                                          StreamSink<::runtime::v1::ContainerEventResponse>& sink) {
    return UnimplementedRpc("GetContainerEvents");
  }
};

}  // namespace silo::cri
