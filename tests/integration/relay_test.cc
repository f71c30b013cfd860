// The relay path of Windows' npipe front door, on Linux: a UnixRelay in
// front of the real silod, with real gRPC clients dialling the relay.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cri/api/cri_grpc.h"
#include "gtest/gtest.h"
#include "network/relay/unix_relay.h"
#include "tests/support/silod_process.h"

namespace silo::testing {
namespace {

using network::relay::UnixRelay;

std::unique_ptr<::runtime::v1::RuntimeService::Stub> StubVia(const std::string& socket) {
  // A fresh channel per client: each gets its own relayed connection.
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return ::runtime::v1::RuntimeService::NewStub(
      grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args));
}

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = SilodProcess::Start({.dir = dir_.path()});
    ASSERT_TRUE(p.ok()) << p.status();
    silod_ = std::move(*p);
    relay_path_ = dir_.path() + "/relay.sock";
    auto r = UnixRelay::Start(relay_path_, silod_->socket_path());
    ASSERT_TRUE(r.ok()) << r.status();
    relay_ = std::move(*r);
  }

  TempDir dir_;
  std::unique_ptr<SilodProcess> silod_;
  std::string relay_path_;
  std::unique_ptr<UnixRelay> relay_;
};

TEST_F(RelayTest, HundredConcurrentClientsThroughTheRelay) {
  constexpr int kClients = 100;
  std::atomic<int> ok{0};
  std::vector<std::string> errors(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto stub = StubVia(relay_path_);
      for (int call = 0; call < 3; ++call) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        ::runtime::v1::VersionRequest req;
        req.set_version("v1");
        ::runtime::v1::VersionResponse resp;
        grpc::Status s = stub->Version(&ctx, req, &resp);
        if (!s.ok() || resp.runtime_name() != "silo") {
          errors[i] = absl::StrCat("call ", call, ": ", s.error_message(), " name=", resp.runtime_name());
          return;
        }
        grpc::ClientContext lctx;
        lctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        ::runtime::v1::ListPodSandboxResponse list;
        s = stub->ListPodSandbox(&lctx, {}, &list);
        if (!s.ok()) {
          errors[i] = absl::StrCat("list ", call, ": ", s.error_message());
          return;
        }
      }
      ++ok;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(errors[i], "") << "client " << i;
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_GE(relay_->connections(), kClients);
  EXPECT_EQ(relay_->failed_dials(), 0);
}

TEST_F(RelayTest, StoppingTheRelayEndsOpenStreamsAndADeadUpstreamFailsFast) {
  auto stub = StubVia(relay_path_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub->GetContainerEvents(&ctx, {});
  // The stream is established once silod answers a unary call on the same channel.
  {
    grpc::ClientContext v;
    ::runtime::v1::VersionResponse resp;
    ASSERT_TRUE(stub->Version(&v, {}, &resp).ok());
  }
  const auto start = std::chrono::steady_clock::now();
  relay_->Stop();
  ::runtime::v1::ContainerEventResponse event;
  while (stream->Read(&event)) {
  }
  grpc::Status s = stream->Finish();
  EXPECT_FALSE(s.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << "the stream must not hang";

  // A relay whose upstream is gone closes each connection at once.
  auto dead = UnixRelay::Start(dir_.path() + "/dead.sock", dir_.path() + "/nobody-listens.sock");
  ASSERT_TRUE(dead.ok()) << dead.status();
  auto dead_stub = StubVia(dir_.path() + "/dead.sock");
  grpc::ClientContext dctx;
  dctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  ::runtime::v1::VersionResponse resp;
  EXPECT_FALSE(dead_stub->Version(&dctx, {}, &resp).ok());
  EXPECT_GE((*dead)->failed_dials(), 1);
}

}  // namespace
}  // namespace silo::testing
