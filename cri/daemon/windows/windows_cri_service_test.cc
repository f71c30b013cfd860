// The whole CRI service over the Windows handlers, on Linux: silod's daemon
// (front door on a unix socket, instrumented gRPC adapters, the portable
// core) wired by WireWindowsParts over the fake Windows API tables (HCS,
// HCN, Job Objects, WCIFS layers, host paths, HostProcess processes,
// readiness), each container held by a silo-shim monitor running in this
// process (InProcessShimPort). Images come from a real registry (Debian's
// docker-registry on 127.0.0.1) in the Windows layout; pods are networked
// by a CNI plugin the test installs. Driven only through CRI calls.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cri/daemon/windows/windows_cri_fixture.h"
#include "cri/streaming/testing/spdy_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/handler/windows_handlers.h"

namespace silo::cri {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::runtime::v1;
namespace rw = runtime::windows;
using ::testing::HasSubstr;
using wintest::Eventually;
using wintest::ReadFile;

// silod in this process, over the fake tables directly.
class WindowsCriServiceTest : public wintest::WindowsCriFixture {
 protected:
  void SetUp() override {
    WindowsCriFixture::SetUp();
    StartDaemonInProcess(MakeConfig({HostProcessHandler()}));
  }
};

TEST_F(WindowsCriServiceTest, AProcessIsolatedPodRunsItsContainerEndToEndAndLeavesNothing) {
  {
    grpc::ClientContext ctx;
    v1::StatusResponse status;
    ASSERT_TRUE(runtime_->Status(&ctx, v1::StatusRequest(), &status).ok());
    for (const v1::RuntimeCondition& c : status.status().conditions()) {
      EXPECT_TRUE(c.status()) << c.type() << ": " << c.reason() << " " << c.message();
    }
  }
  std::string image_id;
  grpc::Status s = PullImage(Ref("app"), &image_id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(layers_.Calls(image::layers::wcifs::LayerCall::kImportLayer).empty());

  // RunPodSandbox: an HCN namespace handed to CNI, the pause system from the
  // sandbox image (pulled on demand), no pod job (process isolation).
  const v1::PodSandboxConfig pod_config = PodConfig("web", false);
  std::string pod;
  s = RunPod(pod_config, &pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(hcn_.NamespaceIds().size(), 1u);
  const std::string guid = hcn_.NamespaceIds()[0];
  // The plugin the config names "win-test", found as win-test.exe, given the namespace GUID.
  EXPECT_THAT(CniCalls(), ::testing::ElementsAre(absl::StrCat("win-test.exe ADD ", guid, " ", pod)));
  EXPECT_EQ(hcs_.SystemState(pod), "Running");
  const nlohmann::json pause_doc = nlohmann::json::parse(hcs_.Configuration(pod));
  EXPECT_EQ(pause_doc["Owner"], "silo-sandbox");
  EXPECT_EQ(pause_doc["Container"]["Networking"]["Namespace"], guid);
  ASSERT_EQ(RunningPids(pod).size(), 1u);
  EXPECT_THAT(hcs_.ProcessParameters(pod, RunningPids(pod)[0]), HasSubstr("pause.exe"));
  EXPECT_EQ(jobs_.jobs(), 0) << "process-isolated pods get no pod job";
  EXPECT_EQ(PodStatus(pod).state(), v1::SANDBOX_READY);
  EXPECT_EQ(PodStatus(pod).network().ip(), "10.88.0.5");

  // CreateContainer + StartContainer with a mount.
  v1::ContainerConfig config;
  config.mutable_metadata()->set_name("app");
  config.mutable_image()->set_image(Ref("app"));
  config.set_log_path("app/0.log");
  v1::Mount* mount = config.add_mounts();
  mount->set_container_path("C:\\data");
  mount->set_host_path("C:\\data");
  std::string ctr;
  s = CreateAndStart(pod, pod_config, config, &ctr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(hcs_.SystemState(ctr), "Running");
  const nlohmann::json doc = nlohmann::json::parse(hcs_.Configuration(ctr));
  ASSERT_EQ(doc["Container"]["MappedDirectories"].size(), 1u);
  EXPECT_EQ(doc["Container"]["MappedDirectories"][0]["ContainerPath"], "C:\\data");
  EXPECT_EQ(doc["Container"]["Networking"]["Namespace"], guid);
  EXPECT_EQ(doc["Container"]["Storage"]["Layers"].size(), 2u);
  EXPECT_EQ(layers_.Activated().size(), 2u) << "the pause's scratch and the container's";
  ASSERT_EQ(RunningPids(ctr).size(), 1u);
  const uint32_t main_pid = RunningPids(ctr)[0];
  EXPECT_THAT(hcs_.ProcessParameters(ctr, main_pid), HasSubstr("app.exe"));
  EXPECT_EQ(Status(ctr).state(), v1::CONTAINER_RUNNING);

  // Output of the main process reaches the CRI log through its shim.
  ASSERT_TRUE(hcs_.WriteProcessOutput(ctr, main_pid, false, "hello from app\n"));
  ASSERT_TRUE(hcs_.WriteProcessOutput(ctr, main_pid, true, "a warning\n"));

  // ExecSync: a second process in the container; its output comes back.
  ExpectExecSyncAnswers(ctr, main_pid);

  // Stats: the container's silo job, and the pod's = containers + pause.
  SetJobCounters(absl::StrCat("\\Container_", ctr), 3'000'000'000, 64 << 20);
  SetJobCounters(absl::StrCat("\\Container_", pod), 500'000'000, 8 << 20);
  v1::ContainerStats container_stats;
  ASSERT_TRUE(Eventually([&] {
    grpc::ClientContext ctx;
    v1::ListContainerStatsResponse resp;
    if (!runtime_->ListContainerStats(&ctx, v1::ListContainerStatsRequest(), &resp).ok()) return false;
    if (resp.stats_size() != 1 || !resp.stats(0).has_cpu()) return false;
    container_stats = resp.stats(0);
    return container_stats.cpu().usage_core_nano_seconds().value() == 3'000'000'000;
  }));
  EXPECT_EQ(container_stats.attributes().id(), ctr);
  EXPECT_EQ(container_stats.memory().working_set_bytes().value(), 64u << 20);
  v1::PodSandboxStats pod_stats;
  v1::ListPodSandboxStatsResponse last;
  ASSERT_TRUE(Eventually([&] {
    grpc::ClientContext ctx;
    if (!runtime_->ListPodSandboxStats(&ctx, v1::ListPodSandboxStatsRequest(), &last).ok()) return false;
    if (last.stats_size() != 1 || !last.stats(0).windows().has_cpu()) return false;
    pod_stats = last.stats(0);
    return true;
  })) << last.DebugString();
  // In the `windows` message, the one kubelet on Windows reads.
  EXPECT_EQ(pod_stats.attributes().id(), pod);
  EXPECT_FALSE(pod_stats.has_linux());
  EXPECT_EQ(pod_stats.windows().cpu().usage_core_nano_seconds().value(), 3'500'000'000u);
  EXPECT_EQ(pod_stats.windows().memory().working_set_bytes().value(), (64u << 20) + (8u << 20));
  ASSERT_EQ(pod_stats.windows().containers_size(), 1);
  EXPECT_EQ(pod_stats.windows().containers(0).attributes().id(), ctr);
  EXPECT_EQ(pod_stats.windows().containers(0).cpu().usage_core_nano_seconds().value(), 3'000'000'000u);

  // The main process exits: the container is EXITED with its code.
  hcs_.ExitProcess(ctr, main_pid, 7);
  ASSERT_TRUE(Eventually([&] { return Status(ctr).state() == v1::CONTAINER_EXITED; }));
  EXPECT_EQ(Status(ctr).exit_code(), 7);
  const std::string log = ReadFile(absl::StrCat(dir_, "/logs/web/app/0.log"));
  EXPECT_THAT(log, HasSubstr(" stdout F hello from app\n"));
  EXPECT_THAT(log, HasSubstr(" stderr F a warning\n"));

  StopAndRemovePod(pod);
  EXPECT_THAT(CniCalls(), ::testing::ElementsAre(absl::StrCat("win-test.exe ADD ", guid, " ", pod),
                                                 absl::StrCat("win-test.exe DEL ", guid, " ", pod)));
  ExpectNothingLeft({pod, ctr});
  {
    grpc::ClientContext ctx;
    v1::ListContainersResponse resp;
    ASSERT_TRUE(runtime_->ListContainers(&ctx, v1::ListContainersRequest(), &resp).ok());
    EXPECT_EQ(resp.containers_size(), 0);
  }
}

TEST_F(WindowsCriServiceTest, AHostProcessPodRunsItsContainerInANamedJobOnTheHost) {
  std::string image_id;
  grpc::Status s = PullImage(Ref("app"), &image_id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  processes_.SetProgram("C:\\app\\app.exe", {"host process says hi\n", "", std::nullopt, std::nullopt});

  const v1::PodSandboxConfig pod_config = PodConfig("agent", true);
  std::string pod;
  s = RunPod(pod_config, &pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // No namespace, no CNI, no pause; the pod's job, named after it.
  EXPECT_TRUE(hcn_.NamespaceIds().empty());
  EXPECT_FALSE(fs::exists(dir_ + "/cni-bin/calls.log"));
  EXPECT_EQ(hcs_.SystemState(pod), "");
  EXPECT_TRUE(jobs_.Win32JobExists(std::wstring(L"silo-pod-") + std::wstring(pod.begin(), pod.end())));

  v1::ContainerConfig config;
  config.mutable_metadata()->set_name("agent");
  config.mutable_image()->set_image(Ref("app"));
  config.set_log_path("agent/0.log");
  config.mutable_windows()->mutable_security_context()->set_host_process(true);
  config.mutable_windows()->mutable_security_context()->set_run_as_username("NT AUTHORITY\\SYSTEM");
  std::string ctr;
  s = CreateAndStart(pod, pod_config, config, &ctr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Status(ctr).state(), v1::CONTAINER_RUNNING);
  ASSERT_EQ(processes_.launches().size(), 1u);
  EXPECT_THAT(processes_.launches()[0].command_line, HasSubstr("app.exe"));
  EXPECT_FALSE(processes_.launches()[0].job.empty());
  EXPECT_TRUE(processes_.JobExists(processes_.launches()[0].job));
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(ReadFile(absl::StrCat(dir_, "/logs/agent/agent/0.log")), " stdout F host process says hi");
  }));

  StopAndRemovePod(pod);
  EXPECT_EQ(hcs_.calls(rw::fake::FakeCall::kCreateComputeSystem), 0);
  ExpectNothingLeft({pod, ctr});
}

// Exec, attach and port-forward through silod's streaming server: the
// container's monitor relays the HCS processes' stdio (there is no handle
// passing on Windows); driven by the project's SPDY client as kubectl drives it.
TEST_F(WindowsCriServiceTest, ExecAttachAndPortForwardStreamThroughSilod) {
  namespace st = streaming::testing;
  std::string image_id;
  ASSERT_TRUE(PullImage(Ref("app"), &image_id).ok());
  const v1::PodSandboxConfig pod_config = PodConfig("term", false);
  std::string pod;
  ASSERT_TRUE(RunPod(pod_config, &pod).ok());
  v1::ContainerConfig config;
  config.mutable_metadata()->set_name("shell");
  config.mutable_image()->set_image(Ref("app"));
  config.set_log_path("shell/0.log");
  config.set_stdin(true);
  config.set_stdin_once(true);
  std::string ctr;
  grpc::Status s = CreateAndStart(pod, pod_config, config, &ctr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(RunningPids(ctr).size(), 1u);
  const uint32_t main_pid = RunningPids(ctr)[0];
  // The exec's process once it runs (it is not the main one).
  auto exec_pid = [&] {
    uint32_t pid = 0;
    Eventually([&] {
      for (uint32_t p : RunningPids(ctr)) {
        if (p != main_pid) pid = p;
      }
      return pid != 0;
    });
    return pid;
  };
  auto modified = [&](uint32_t pid, const std::string& what) {
    for (const std::string& m : hcs_.Signals(ctr, pid)) {
      if (m.find(what) != std::string::npos) return true;
    }
    return false;
  };

  // Exec: stdin in (then EOF), stdout and stderr out, the exit code back.
  {
    auto [port, path] = ExecUrl(ctr, {"cmd", "/c", "sort"}, false);
    st::ExecOptions options;
    options.stdin = true;
    options.stdin_data = "b\r\na\r\n";
    absl::StatusOr<st::ExecResult> result;
    std::thread client([&, port = port, path = path] { result = st::SpdyExec(port, path, options); });
    const uint32_t pid = exec_pid();
    ASSERT_NE(pid, 0u);
    EXPECT_THAT(hcs_.ProcessParameters(ctr, pid), HasSubstr("cmd /c sort"));
    EXPECT_TRUE(Eventually([&] { return hcs_.ProcessStdin(ctr, pid) == "b\r\na\r\n"; }));
    EXPECT_TRUE(Eventually([&] { return modified(pid, "StdIn"); })) << "stdin EOF closes the process's stdin";
    hcs_.WriteProcessOutput(ctr, pid, false, "a\r\nb\r\n");
    hcs_.WriteProcessOutput(ctr, pid, true, "2 lines\r\n");
    hcs_.ExitProcess(ctr, pid, 3);
    client.join();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->stdout, "a\r\nb\r\n");
    EXPECT_EQ(result->stderr, "2 lines\r\n");
    EXPECT_THAT(result->error, HasSubstr("NonZeroExitCode"));
    EXPECT_THAT(result->error, HasSubstr("\"message\":\"3\""));
  }

  // TTY exec: an emulated console of the client's size, resized through HCS.
  {
    auto [port, path] = ExecUrl(ctr, {"cmd"}, true);
    st::ExecOptions options;
    options.stdin = true;
    options.stderr = false;
    options.tty = true;
    options.resize = std::pair<int, int>(100, 30);
    options.stdin_data = "exit\r\n";
    absl::StatusOr<st::ExecResult> result;
    std::thread client([&, port = port, path = path] { result = st::SpdyExec(port, path, options); });
    const uint32_t pid = exec_pid();
    ASSERT_NE(pid, 0u);
    const nlohmann::json params = nlohmann::json::parse(hcs_.ProcessParameters(ctr, pid));
    EXPECT_EQ(params["EmulateConsole"], true);
    EXPECT_TRUE(Eventually([&] { return hcs_.ProcessStdin(ctr, pid) == "exit\r\n"; }));
    // The size reaches the console at creation or, if it came later, through HcsModifyProcess.
    const bool sized_at_create = params.contains("ConsoleSize") && params["ConsoleSize"][0] == 30 &&
                                 params["ConsoleSize"][1] == 100;
    EXPECT_TRUE(sized_at_create || modified(pid, "ConsoleSize")) << params.dump();
    hcs_.WriteProcessOutput(ctr, pid, false, "C:\\>exit\r\n");
    hcs_.ExitProcess(ctr, pid, 0);
    client.join();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->stdout, "C:\\>exit\r\n");
    EXPECT_THAT(result->error, HasSubstr("Success"));
  }

  // Attach: the main process's stdin (stdin_once: the client's EOF closes
  // it) and a copy of its output, while the CRI log keeps getting all of it;
  // the session ends with the container, with its exit code.
  {
    grpc::ClientContext ctx;
    v1::AttachRequest req;
    req.set_container_id(ctr);
    req.set_stdin(true);
    req.set_stdout(true);
    req.set_stderr(true);
    v1::AttachResponse resp;
    ASSERT_TRUE(runtime_->Attach(&ctx, req, &resp).ok());
    auto [port, path] = StreamingPortAndPath(resp.url());
    st::ExecOptions options;
    options.stdin = true;
    options.stdin_data = "ping\n";
    absl::StatusOr<st::ExecResult> result;
    std::thread client([&, port = port, path = path] { result = st::SpdyExec(port, path, options); });
    EXPECT_TRUE(Eventually([&] { return hcs_.ProcessStdin(ctr, main_pid) == "ping\n"; }))
        << "stdin: " << hcs_.ProcessStdin(ctr, main_pid) << " params " << hcs_.ProcessParameters(ctr, main_pid);
    EXPECT_TRUE(Eventually([&] { return modified(main_pid, "StdIn"); }));
    hcs_.WriteProcessOutput(ctr, main_pid, false, "pong\n");
    hcs_.ExitProcess(ctr, main_pid, 6);
    client.join();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->stdout, "pong\n");
    EXPECT_THAT(result->error, HasSubstr("\"message\":\"6\""));
    EXPECT_THAT(ReadFile(absl::StrCat(dir_, "/logs/term/shell/0.log")), HasSubstr(" stdout F pong\n"));
  }
  EXPECT_EQ(Status(ctr).exit_code(), 6);

  // Port-forward dials from silod, as containerd does on Windows: the pod
  // IP, or for a HostProcess pod (the host's network) 127.0.0.1, where
  // this test listens.
  std::string host_pod;
  ASSERT_TRUE(RunPod(PodConfig("agent", true), &host_pod).ok());
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t addr_len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &addr_len);
  const int target_port = ntohs(addr.sin_port);
  std::thread target([listener] {
    const int c = ::accept(listener, nullptr, nullptr);
    std::string got;
    char buf[256];
    for (ssize_t n; (n = ::read(c, buf, sizeof(buf))) > 0;) got.append(buf, static_cast<size_t>(n));
    const std::string answer = "got " + got;
    (void)!::write(c, answer.data(), answer.size());
    ::close(c);
  });
  {
    grpc::ClientContext ctx;
    v1::PortForwardRequest req;
    req.set_pod_sandbox_id(host_pod);
    req.add_port(target_port);
    v1::PortForwardResponse resp;
    ASSERT_TRUE(runtime_->PortForward(&ctx, req, &resp).ok());
    auto [port, path] = StreamingPortAndPath(resp.url());
    st::UpgradeResponse upgraded;
    auto client = st::SpdyTestClient::Connect(port, "POST", path, {"portforward.k8s.io"}, &upgraded);
    ASSERT_TRUE(client.ok() && *client) << upgraded.status;
    streaming::spdy::HeaderBlock h = {{"streamType", "error"}, {"port", std::to_string(target_port)}, {"requestID", "0"}};
    auto err = (*client)->OpenStream(h, true);
    h[0].second = "data";
    auto data = (*client)->OpenStream(h, false);
    ASSERT_TRUE(err.ok() && data.ok());
    ASSERT_TRUE((*client)->SendData(*data, "hello", true).ok());
    ASSERT_TRUE((*client)
                    ->Pump([&] { return (*client)->stream(*data).fin && (*client)->stream(*err).fin; },
                           absl::Seconds(20))
                    .ok());
    EXPECT_EQ((*client)->stream(*data).data, "got hello");
    EXPECT_EQ((*client)->stream(*err).data, "");
  }
  target.join();
  ::close(listener);
  StopAndRemovePod(host_pod);
  StopAndRemovePod(pod);
  ExpectNothingLeft({pod, ctr});
}

}  // namespace
}  // namespace silo::cri
