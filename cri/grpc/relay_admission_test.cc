// The CRI server behind the Windows named-pipe relay, on Linux with real gRPC:
// the same admission interceptor and adapters silod installs, a UnixRelay
// standing in for the pipe relay (it dials the private loopback port and
// registers its connections exactly as the pipe relay does), and real clients
// that dial either the relay or the private port directly.
#include "cri/grpc/relay_admission.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cri/api/cri_grpc.h"
#include "cri/grpc/adapters.h"
#include "cri/grpc/instrument.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "network/relay/relayed_peers.h"
#include "network/relay/unix_relay.h"

namespace silo::cri {
namespace {

using network::relay::RelayedPeers;
using network::relay::UnixRelay;

class CountingService final : public CriService {
 public:
  absl::Status Version(const ::runtime::v1::VersionRequest&, ::runtime::v1::VersionResponse* response) override {
    ++calls;
    response->set_runtime_name("silo");
    return absl::OkStatus();
  }
  absl::Status ListImages(const ::runtime::v1::ListImagesRequest&, ::runtime::v1::ListImagesResponse*) override {
    ++calls;
    return absl::OkStatus();
  }
  std::atomic<int> calls{0};
};

std::chrono::system_clock::time_point Soon() { return std::chrono::system_clock::now() + std::chrono::seconds(20); }

// One call of `method` ("/pkg.Service/Rpc") through the generic stub, any
// arity: the raw request is written, the client half-closes, the first
// response (if any) is kept in `response`, and the final status returned.
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& request_bytes, std::string* response,
                     std::chrono::system_clock::time_point deadline = Soon()) {
  grpc::CompletionQueue cq;
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(deadline);
  auto call = stub.PrepareCall(&ctx, method, &cq);
  auto step = [&cq](intptr_t want) {
    void* tag = nullptr;
    bool ok = false;
    return cq.Next(&tag, &ok) && reinterpret_cast<intptr_t>(tag) == want && ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  bool ok = step(1);
  if (ok) {
    grpc::Slice slice(request_bytes);
    grpc::ByteBuffer request(&slice, 1);
    call->Write(request, reinterpret_cast<void*>(2));
    ok = step(2);
  }
  if (ok) {
    call->WritesDone(reinterpret_cast<void*>(3));
    ok = step(3);
  }
  if (ok) {
    grpc::ByteBuffer reply;
    call->Read(&reply, reinterpret_cast<void*>(4));
    if (step(4) && response != nullptr) {
      std::vector<grpc::Slice> slices;
      (void)reply.Dump(&slices);
      for (const grpc::Slice& s : slices) response->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  // A server stream that goes on ends at the deadline.
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  void* tag = nullptr;
  bool finished = false;
  while (cq.Next(&tag, &finished)) {
    if (reinterpret_cast<intptr_t>(tag) == 5) break;
  }
  cq.Shutdown();
  while (cq.Next(&tag, &finished)) {
  }
  return status;
}

// grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo with
// list_services set (field 7, empty string), through the generic stub: the
// reflection stubs are not installed by Debian. Returns the raw response.
grpc::Status ListServices(const std::shared_ptr<grpc::Channel>& channel, std::string* response) {
  return RawCall(channel, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                 std::string("\x3a\x00", 2), response);
}

// Every method of the CRI services, from the compiled descriptors: what
// kubelet can call, including RPCs added to the API later.
std::vector<std::string> EveryCriMethod() {
  std::vector<std::string> methods;
  for (const char* service : {"runtime.v1.RuntimeService", "runtime.v1.ImageService"}) {
    const google::protobuf::ServiceDescriptor* d =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    EXPECT_NE(d, nullptr) << service;
    for (int i = 0; d != nullptr && i < d->method_count(); ++i) {
      methods.push_back("/" + std::string(service) + "/" + std::string(d->method(i)->name()));
    }
  }
  return methods;
}

class RelayAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/silo-admission-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&runtime_adapter_);
    builder.RegisterService(&image_adapter_);
    if (install_interceptor_) {
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
      interceptors.push_back(RelayAdmission(&admitted_));
      builder.experimental().SetInterceptorCreators(std::move(interceptors));
    }
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    auto relay = UnixRelay::StartToLoopback(dir_ + "/pipe.sock", static_cast<uint16_t>(port_), &admitted_);
    ASSERT_TRUE(relay.ok()) << relay.status();
    relay_ = std::move(*relay);
  }
  void TearDown() override {
    if (relay_) relay_->Stop();
    if (server_) server_->Shutdown(Soon());
    EXPECT_EQ(admitted_.size(), 0u) << "every relayed connection withdrew its address";
    ::unlink((dir_ + "/pipe.sock").c_str());
    ::rmdir(dir_.c_str());
  }

  std::shared_ptr<grpc::Channel> Direct() {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials());
  }
  std::shared_ptr<grpc::Channel> ThroughRelay() {
    return grpc::CreateChannel("unix:" + dir_ + "/pipe.sock", grpc::InsecureChannelCredentials());
  }

  bool install_interceptor_ = true;
  std::string dir_;
  std::atomic<bool> ready_{true};
  CountingService service_;
  Instrument instrument_{nullptr, &ready_, &admitted_};
  RuntimeServiceAdapter runtime_adapter_{&service_, &instrument_};
  ImageServiceAdapter image_adapter_{&service_, &instrument_};
  RelayedPeers admitted_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<UnixRelay> relay_;
};

TEST_F(RelayAdmissionTest, DirectClientIsRefusedByEveryServiceAndNoHandlerRuns) {
  auto channel = Direct();
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(Soon());
    ::runtime::v1::VersionResponse response;
    grpc::Status s = ::runtime::v1::RuntimeService::NewStub(channel)->Version(&ctx, {}, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << s.error_message();
    EXPECT_TRUE(response.runtime_name().empty());
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(Soon());
    ::runtime::v1::ListImagesResponse response;
    grpc::Status s = ::runtime::v1::ImageService::NewStub(channel)->ListImages(&ctx, {}, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << s.error_message();
  }
  {
    std::string response;
    grpc::Status s = ListServices(channel, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << s.error_message();
    EXPECT_EQ(response.find("runtime.v1.RuntimeService"), std::string::npos) << "reflection leaked the services";
  }
  EXPECT_EQ(service_.calls.load(), 0) << "a refused call reached a CRI handler";
}

// Every registered CRI method, unary or streaming (GetContainerEvents),
// is refused to a direct client: none is left outside admission.
TEST_F(RelayAdmissionTest, EveryCriMethodRefusesADirectClient) {
  const std::vector<std::string> methods = EveryCriMethod();
  ASSERT_GE(methods.size(), 40u) << "the descriptors list the CRI API";
  EXPECT_NE(std::find(methods.begin(), methods.end(), "/runtime.v1.RuntimeService/GetContainerEvents"), methods.end());
  auto channel = Direct();
  for (const std::string& method : methods) {
    grpc::Status s = RawCall(channel, method, "", nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << method << ": " << s.error_message();
  }
  EXPECT_EQ(service_.calls.load(), 0);
  // Through the relay the same calls reach the handlers (the ones this test
  // service does not implement answer UNIMPLEMENTED).
  auto relayed = ThroughRelay();
  for (const std::string& method : methods) {
    grpc::Status s = RawCall(relayed, method, "", nullptr, std::chrono::system_clock::now() + std::chrono::seconds(2));
    EXPECT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::UNIMPLEMENTED) << method << ": " << s.error_message();
  }
  EXPECT_EQ(service_.calls.load(), 2) << "Version and ListImages ran once each";
}

TEST_F(RelayAdmissionTest, ClientsThroughTheRelayAreServed) {
  auto channel = ThroughRelay();
  grpc::ClientContext ctx;
  ctx.set_deadline(Soon());
  ::runtime::v1::VersionResponse version;
  grpc::Status s = ::runtime::v1::RuntimeService::NewStub(channel)->Version(&ctx, {}, &version);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(version.runtime_name(), "silo");

  grpc::ClientContext image_ctx;
  image_ctx.set_deadline(Soon());
  ::runtime::v1::ListImagesResponse images;
  EXPECT_TRUE(::runtime::v1::ImageService::NewStub(channel)->ListImages(&image_ctx, {}, &images).ok());

  std::string services;
  grpc::Status reflection = ListServices(channel, &services);
  EXPECT_TRUE(reflection.ok()) << reflection.error_message();
  EXPECT_NE(services.find("runtime.v1.RuntimeService"), std::string::npos);
  EXPECT_EQ(service_.calls.load(), 2);
  EXPECT_EQ(admitted_.size(), 1u) << "the relayed connection is admitted while it lives";
}

TEST_F(RelayAdmissionTest, DirectClientStaysRefusedWhileARelayedClientIsConnected) {
  auto relayed = ThroughRelay();
  grpc::ClientContext first;
  first.set_deadline(Soon());
  ::runtime::v1::VersionResponse version;
  ASSERT_TRUE(::runtime::v1::RuntimeService::NewStub(relayed)->Version(&first, {}, &version).ok());

  grpc::ClientContext ctx;
  ctx.set_deadline(Soon());
  grpc::Status s = ::runtime::v1::RuntimeService::NewStub(Direct())->Version(&ctx, {}, &version);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(service_.calls.load(), 1);
}

// The CRI handlers' gate does not depend on the interceptor's cancel having
// reached the call: without the interceptor a direct client is still refused
// by Instrument, and no handler runs.
class InstrumentAdmissionTest : public RelayAdmissionTest {
 protected:
  void SetUp() override {
    install_interceptor_ = false;
    RelayAdmissionTest::SetUp();
  }
};

TEST_F(InstrumentAdmissionTest, DirectClientIsRefusedBeforeAnyHandlerWithoutTheInterceptor) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Soon());
  ::runtime::v1::VersionResponse version;
  grpc::Status s = ::runtime::v1::RuntimeService::NewStub(Direct())->Version(&ctx, {}, &version);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(service_.calls.load(), 0);

  grpc::ClientContext relayed;
  relayed.set_deadline(Soon());
  ASSERT_TRUE(::runtime::v1::RuntimeService::NewStub(ThroughRelay())->Version(&relayed, {}, &version).ok());
  EXPECT_EQ(service_.calls.load(), 1);
}

// The handlers' own gate covers every CRI method too, the event stream
// included: a second line of defence that does not rely on the interceptor.
TEST_F(InstrumentAdmissionTest, EveryCriMethodIsGatedByInstrument) {
  const std::vector<std::string> methods = EveryCriMethod();
  ASSERT_GE(methods.size(), 40u);
  auto channel = Direct();
  for (const std::string& method : methods) {
    grpc::Status s = RawCall(channel, method, "", nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << method << ": " << s.error_message();
  }
  EXPECT_EQ(service_.calls.load(), 0);
}

}  // namespace
}  // namespace silo::cri
