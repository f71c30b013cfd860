#include "tests/bench/compare/cri_client.h"

namespace silo::bench {

CriClient::CriClient(const std::string& socket_path)
    : channel_(grpc::CreateChannel("unix:" + socket_path, grpc::InsecureChannelCredentials())),
      runtime_(::runtime::v1::RuntimeService::NewStub(channel_)),
      images_(::runtime::v1::ImageService::NewStub(channel_)) {}

}  // namespace silo::bench
