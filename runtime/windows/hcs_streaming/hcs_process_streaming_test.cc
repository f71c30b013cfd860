#include "runtime/windows/hcs_streaming/hcs_process_streaming.h"
#include "runtime/windows/hcs_streaming/hostprocess_streaming.h"

#include "gtest/gtest.h"

namespace silo::runtime::windows::hcs_streaming {
namespace {

class Discard final : public runtime::streaming::OutputStream {
 public:
  bool Write(std::string_view) override { return true; }
};

TEST(HcsProcessStreamingTest, PortForwardDialsThePodIpAndRefusesWhatCannotBeDialled) {
  std::string dialled;
  int32_t dialled_port = 0;
  HcsProcessStreaming streaming(nullptr, nullptr,
                                [&](const std::string& host, int32_t port, runtime::streaming::ByteQueue*,
                                    runtime::streaming::OutputStream*) {
                                  dialled = host;
                                  dialled_port = port;
                                  return absl::OkStatus();
                                });
  model::SandboxRecord pod;
  pod.id = "p1";
  pod.ip = "10.88.0.5";
  runtime::streaming::ByteQueue in;
  Discard out;
  ASSERT_TRUE(streaming.PortForward(pod, 8080, &in, &out).ok());
  EXPECT_EQ(dialled, "10.88.0.5");
  EXPECT_EQ(dialled_port, 8080);
  EXPECT_EQ(streaming.PortForward(pod, 70000, &in, &out).code(), absl::StatusCode::kInvalidArgument);
  pod.ip.clear();
  EXPECT_EQ(streaming.PortForward(pod, 80, &in, &out).code(), absl::StatusCode::kFailedPrecondition);

  HcsProcessStreaming unwired(nullptr, nullptr);
  pod.ip = "10.88.0.5";
  EXPECT_EQ(unwired.PortForward(pod, 80, &in, &out).code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace silo::runtime::windows::hcs_streaming

namespace silo::runtime::windows::hcs_streaming {
namespace {

TEST(HostProcessStreamingTest, PortForwardDialsTheHostsLoopbackAndExecNamesHostProcess) {
  std::string dialled;
  auto streaming = NewHostProcessStreaming(nullptr, [&](const std::string& host, int32_t, runtime::streaming::ByteQueue*,
                                               runtime::streaming::OutputStream*) {
    dialled = host;
    return absl::OkStatus();
  });
  model::SandboxRecord pod;
  pod.id = "hp";
  runtime::streaming::ByteQueue in;
  Discard out;
  ASSERT_TRUE(streaming->PortForward(pod, 9000, &in, &out).ok());
  EXPECT_EQ(dialled, "127.0.0.1");
  model::ContainerRecord ctr;
  ctr.id = "c";
  absl::StatusOr<int> exec = streaming->Exec(ctr, {"cmd"}, runtime::streaming::ExecStreams{});
  EXPECT_EQ(exec.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(exec.status().message().find("HostProcess"), std::string::npos);
}

}  // namespace
}  // namespace silo::runtime::windows::hcs_streaming
