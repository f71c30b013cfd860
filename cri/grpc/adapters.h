#pragma once
// gRPC service classes for runtime.v1.RuntimeService and ImageService. Each
// generated method forwards through Instrument to the CriService; nothing
// else lives here.

#include "cri/api/cri_grpc.h"
#include "cri/grpc/instrument.h"
#include "cri/server/cri_service.h"

namespace silo::cri {

class RuntimeServiceAdapter final : public ::runtime::v1::RuntimeService::Service {
 public:
  RuntimeServiceAdapter(CriService* service, Instrument* instrument)
      : service_(service), instrument_(instrument) {}

#define SILO_ADAPTER_UNARY(name)                                                      \
  grpc::Status name(grpc::ServerContext* context, const ::runtime::v1::name##Request* request, \
                    ::runtime::v1::name##Response* response) override;
#define SILO_ADAPTER_STREAM(name)                                                     \
  grpc::Status name(grpc::ServerContext* context, const ::runtime::v1::name##Request* request, \
                    grpc::ServerWriter<::runtime::v1::name##Response>* writer) override;
  SILO_CRI_RUNTIME_UNARY_RPCS(SILO_ADAPTER_UNARY)
  SILO_CRI_RUNTIME_STREAM_RPCS(SILO_ADAPTER_STREAM)
  grpc::Status GetContainerEvents(grpc::ServerContext* context, const ::runtime::v1::GetEventsRequest* request,
                                  grpc::ServerWriter<::runtime::v1::ContainerEventResponse>* writer) override;

 private:
  CriService* service_;
  Instrument* instrument_;
};

class ImageServiceAdapter final : public ::runtime::v1::ImageService::Service {
 public:
  ImageServiceAdapter(CriService* service, Instrument* instrument)
      : service_(service), instrument_(instrument) {}

  SILO_CRI_IMAGE_UNARY_RPCS(SILO_ADAPTER_UNARY)
  SILO_CRI_IMAGE_STREAM_RPCS(SILO_ADAPTER_STREAM)
#undef SILO_ADAPTER_UNARY
#undef SILO_ADAPTER_STREAM

 private:
  CriService* service_;
  Instrument* instrument_;
};

}  // namespace silo::cri
