#include "cri/grpc/instrument.h"

#include <stdexcept>

#include "cri/api/cri.h"
#include "gtest/gtest.h"

namespace silo::cri {
namespace {

TEST(InstrumentTest, GateHoldsCallsUntilReady) {
  std::atomic<bool> ready{false};
  metrics::Metrics m;
  Instrument in(&m, &ready);
  int calls = 0;
  ::runtime::v1::VersionRequest req;
  grpc::Status s = in.Run(nullptr, "RuntimeService", "Version", req, [&] { ++calls; return absl::OkStatus(); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(calls, 0);
  ready = true;
  s = in.Run(nullptr, "RuntimeService", "Version", req, [&] { ++calls; return absl::OkStatus(); });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(calls, 1);
}

TEST(InstrumentTest, CodesAndMessagesPassThroughAndAreCounted) {
  std::atomic<bool> ready{true};
  metrics::Metrics m;
  Instrument in(&m, &ready);
  ::runtime::v1::RemovePodSandboxRequest req;
  grpc::Status s = in.Run(nullptr, "RuntimeService", "RemovePodSandbox", req,
                          [] { return absl::FailedPreconditionError("sandbox abc is running"); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "sandbox abc is running");
  std::string text = m.RenderText();
  EXPECT_NE(text.find("code=\"FAILED_PRECONDITION\",rpc=\"RemovePodSandbox\""), std::string::npos) << text;
  EXPECT_NE(text.find("silo_cri_requests_in_flight{rpc=\"RemovePodSandbox\"} 0"), std::string::npos);
}

TEST(InstrumentTest, ExceptionsBecomeInternal) {
  std::atomic<bool> ready{true};
  Instrument in(nullptr, &ready);
  ::runtime::v1::VersionRequest req;
  grpc::Status s = in.Run(nullptr, "RuntimeService", "Version", req,
                          []() -> absl::Status { throw std::runtime_error("kaboom"); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_NE(s.error_message().find("kaboom"), std::string::npos);
}

TEST(InstrumentTest, AllAbslCodesMapToEqualGrpcCodes) {
  for (int c = 0; c <= 16; ++c) {
    grpc::Status g = ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(c), c ? "m" : ""));
    EXPECT_EQ(static_cast<int>(g.error_code()), c);
  }
}

TEST(InstrumentTest, RequestLogNeverShowsCredentials) {
  ::runtime::v1::PullImageRequest req;
  req.mutable_image()->set_image("registry.example/app:1");
  req.mutable_auth()->set_username("alice");
  req.mutable_auth()->set_password("hunter2");
  req.mutable_auth()->set_registry_token("tok-secret");
  std::string text = RequestForLog(req);
  EXPECT_NE(text.find("registry.example/app:1"), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("tok-secret"), std::string::npos);
  EXPECT_EQ(text.find("alice"), std::string::npos);
  EXPECT_EQ(req.auth().password(), "hunter2");  // the original is untouched
  EXPECT_LE(RequestForLog(req, 10).size(), 13u);
}

}  // namespace
}  // namespace silo::cri
