// Exec into a HostProcess container through silod's streaming server, as
// kubectl drives it: the container's silo-shim (HostProcess mode) runs the
// process in the container's job and relays its stdio over a session.

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cri/daemon/windows/windows_cri_fixture.h"
#include "cri/streaming/testing/spdy_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace silo::cri {
namespace {

namespace v1 = ::runtime::v1;
namespace st = streaming::testing;
using ::testing::HasSubstr;
using wintest::Eventually;

class WindowsHostProcessStreamingTest : public wintest::WindowsCriFixture {
 protected:
  void SetUp() override {
    WindowsCriFixture::SetUp();
    StartDaemonInProcess(MakeConfig({HostProcessHandler()}));
  }
};

TEST_F(WindowsHostProcessStreamingTest, ExecRunsInTheContainersJobAndStreamsItsStdio) {
  std::string image_id;
  ASSERT_TRUE(PullImage(Ref("app"), &image_id).ok());
  processes_.SetProgram("C:\\app\\app.exe", {"agent up\n", "", std::nullopt});
  runtime::windows::hostprocess::fake::FakeProgram sort{"sorted:\r\n", "1 warning\r\n", 3u};
  sort.echo_stdin = true;
  processes_.SetProgram("sort.exe", sort);
  const v1::PodSandboxConfig pod_config = PodConfig("agent", true);
  std::string pod;
  ASSERT_TRUE(RunPod(pod_config, &pod).ok());
  v1::ContainerConfig config;
  config.mutable_metadata()->set_name("agent");
  config.mutable_image()->set_image(Ref("app"));
  config.set_log_path("agent/0.log");
  config.mutable_windows()->mutable_security_context()->set_host_process(true);
  config.mutable_windows()->mutable_security_context()->set_run_as_username("NT AUTHORITY\\SYSTEM");
  std::string ctr;
  grpc::Status s = CreateAndStart(pod, pod_config, config, &ctr);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // stdin in (then EOF), stdout and stderr out, the exit code back.
  {
    auto [port, path] = ExecUrl(ctr, {"sort.exe", "/r"}, false);
    st::ExecOptions options;
    options.stdin = true;
    options.stdin_data = "b\r\na\r\n";
    absl::StatusOr<st::ExecResult> result = st::SpdyExec(port, path, options);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->stdout, "sorted:\r\nb\r\na\r\n");
    EXPECT_EQ(result->stderr, "1 warning\r\n");
    EXPECT_THAT(result->error, HasSubstr("NonZeroExitCode"));
    EXPECT_THAT(result->error, HasSubstr("\"message\":\"3\""));
    const auto launches = processes_.launches();
    ASSERT_EQ(launches.size(), 2u);
    EXPECT_EQ(launches[1].command_line, "sort.exe /r");
    EXPECT_EQ(launches[1].job, launches[0].job);
    EXPECT_EQ(launches[1].user, launches[0].user);
  }
  // A TTY: a pseudo console of the client's first size.
  {
    runtime::windows::hostprocess::fake::FakeProgram shell{"C:\\>", "", 0u};
    shell.echo_stdin = true;
    processes_.SetProgram("cmd.exe", shell);
    auto [port, path] = ExecUrl(ctr, {"cmd.exe"}, true);
    st::ExecOptions options;
    options.stdin = true;
    options.stderr = false;
    options.tty = true;
    options.resize = std::pair<int, int>(100, 30);
    options.stdin_data = "exit\r\n";
    absl::StatusOr<st::ExecResult> result = st::SpdyExec(port, path, options);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->stdout, "C:\\>exit\r\n");
    EXPECT_THAT(result->error, HasSubstr("Success"));
    const auto launches = processes_.launches();
    ASSERT_EQ(launches.size(), 3u);
    ASSERT_TRUE(launches[2].console.has_value());
    // The first size reaches the console at creation, or through a resize.
    const auto sizes = processes_.ConsoleSizes();
    ASSERT_EQ(sizes.size(), 1u);
    EXPECT_THAT(sizes[0], ::testing::Contains(std::pair<uint16_t, uint16_t>(100, 30)));
    EXPECT_EQ(processes_.open_consoles(), 0);
  }
  EXPECT_EQ(processes_.LiveProcesses(), 1);  // the main process only
  StopAndRemovePod(pod);
  ExpectNothingLeft({pod, ctr});
}

}  // namespace
}  // namespace silo::cri
