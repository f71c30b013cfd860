#include "cri/grpc/adapters.h"

namespace silo::cri {
namespace {

template <typename T>
class WriterSink final : public StreamSink<T> {
 public:
  WriterSink(grpc::ServerContext* context, grpc::ServerWriter<T>* writer)
      : context_(context), writer_(writer) {}
  bool Write(const T& message) override { return writer_->Write(message); }
  bool IsCancelled() const override { return context_->IsCancelled(); }

 private:
  grpc::ServerContext* context_;
  grpc::ServerWriter<T>* writer_;
};

}  // namespace

#define SILO_ADAPTER_UNARY_IMPL(cls, svc, name)                                                  \
  grpc::Status cls::name(grpc::ServerContext* context, const ::runtime::v1::name##Request* request, \
                         ::runtime::v1::name##Response* response) {                             \
    return instrument_->Run(context, svc, #name, *request,                                               \
                            [&] { return service_->name(*request, response); });                \
  }
#define SILO_ADAPTER_STREAM_IMPL(cls, svc, name)                                                 \
  grpc::Status cls::name(grpc::ServerContext* context, const ::runtime::v1::name##Request* request, \
                         grpc::ServerWriter<::runtime::v1::name##Response>* writer) {           \
    WriterSink<::runtime::v1::name##Response> sink(context, writer);                            \
    return instrument_->Run(context, svc, #name, *request,                                               \
                            [&] { return service_->name(*request, sink); });                    \
  }

#define SILO_RT_UNARY(name) SILO_ADAPTER_UNARY_IMPL(RuntimeServiceAdapter, "RuntimeService", name)
#define SILO_RT_STREAM(name) SILO_ADAPTER_STREAM_IMPL(RuntimeServiceAdapter, "RuntimeService", name)
#define SILO_IMG_UNARY(name) SILO_ADAPTER_UNARY_IMPL(ImageServiceAdapter, "ImageService", name)
#define SILO_IMG_STREAM(name) SILO_ADAPTER_STREAM_IMPL(ImageServiceAdapter, "ImageService", name)

SILO_CRI_RUNTIME_UNARY_RPCS(SILO_RT_UNARY)
SILO_CRI_RUNTIME_STREAM_RPCS(SILO_RT_STREAM)
SILO_CRI_IMAGE_UNARY_RPCS(SILO_IMG_UNARY)
SILO_CRI_IMAGE_STREAM_RPCS(SILO_IMG_STREAM)

grpc::Status RuntimeServiceAdapter::GetContainerEvents(
    grpc::ServerContext* context, const ::runtime::v1::GetEventsRequest* request,
    grpc::ServerWriter<::runtime::v1::ContainerEventResponse>* writer) {
  WriterSink<::runtime::v1::ContainerEventResponse> sink(context, writer);
  return instrument_->Run(context, "RuntimeService", "GetContainerEvents", *request,
                          [&] { return service_->GetContainerEvents(*request, sink); });
}

}  // namespace silo::cri
