// The container life cycle against its floor: silod's create, start (until
// RUNNING), stop and remove of a busybox container, interleaved with the
// same work done by the OCI runtime alone (runc create, start, kill, wait,
// delete of a prepared bundle on the image's unpacked layer), which no CRI
// runtime can beat. Prints the p50 of each, silod's time above the floor,
// and silod's per-RPC p50s. Machines here are shared: read the ratio of
// rows measured in one run, never an absolute number. Root only; not part
// of ctest:
//   build/tests/bench/silo_bench_lifecycle [cycles=50] [--containerd SOCKET --containerd-image REF]
// With --containerd, containerd runs the same cycle (on an image its
// registry config reaches) in the same loop; tests/bench/compare/run.sh
// --lifecycle starts one and does that.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "tests/bench/bench_util.h"

namespace {

using silo::bench::Call;
using silo::bench::Clock;
using silo::bench::Fail;
using silo::bench::Ms;
using silo::bench::Percentile;

// Runs argv with stdio on /dev/null; its exit code, or -1.
int Run(const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A bundle whose root is the image's unpacked layer, read-only, running
// what the silod cycle runs.
absl::Status WriteBundle(const std::string& bundle, const std::string& rootfs) {
  if (Run({"runc", "spec", "--bundle", bundle}) != 0) return absl::InternalError("runc spec");
  auto text = silo::ReadFile(bundle + "/config.json");
  if (!text.ok()) return text.status();
  nlohmann::json spec = nlohmann::json::parse(*text);
  spec["process"]["terminal"] = false;
  spec["process"]["args"] = {"/bin/busybox", "sleep", "100000"};
  spec["root"] = {{"path", rootfs}, {"readonly", true}};
  return silo::AtomicWriteFile(bundle + "/config.json", spec.dump());
}

// runc create, start, kill, wait for stopped, delete; each step's time is
// added to `steps`, so silod's RPCs can be read against the runc call each
// one wraps.
absl::Status RuncCycle(const std::string& bundle, const std::string& root, const std::string& id,
                       std::map<std::string, std::vector<double>>* steps) {
  const std::vector<std::string> runc = {"runc", "--root", root};
  auto cmd = [&](std::vector<std::string> rest) {
    std::vector<std::string> argv = runc;
    argv.insert(argv.end(), rest.begin(), rest.end());
    return Run(argv);
  };
  auto timed = [&](const char* step, std::vector<std::string> rest) {
    auto t0 = Clock::now();
    const int rc = cmd(std::move(rest));
    (*steps)[step].push_back(Ms(Clock::now() - t0));
    return rc;
  };
  if (timed("create", {"create", "--bundle", bundle, id}) != 0) return absl::InternalError("runc create");
  if (timed("start", {"start", id}) != 0) return absl::InternalError("runc start");
  if (timed("kill", {"kill", id, "KILL"}) != 0) return absl::InternalError("runc kill");
  // `runc delete` refuses a running container: wait until its init is gone.
  auto t0 = Clock::now();
  for (int i = 0; i < 1000; ++i) {
    if (cmd({"delete", id}) == 0) {
      (*steps)["wait + delete"].push_back(Ms(Clock::now() - t0));
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::DeadlineExceededError("runc delete: still running");
}

// "family{labels} value" lines of silod's metrics -> mean milliseconds per
// step of a histogram (sum / count of its successful observations).
std::map<std::string, double> MeanStepMs(const std::string& metrics, const std::string& family) {
  std::map<std::string, double> sums, counts, means;
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    for (auto [suffix, into] : {std::pair{"_sum{", &sums}, std::pair{"_count{", &counts}}) {
      if (!absl::StartsWith(line, family + suffix) || !absl::StrContains(line, "result=\"ok\"")) continue;
      const size_t step_at = line.find("step=\"");
      const size_t value_at = line.rfind(' ');
      if (step_at == std::string::npos || value_at == std::string::npos) continue;
      const size_t begin = step_at + 6;
      (*into)[line.substr(begin, line.find('"', begin) - begin)] = std::atof(line.c_str() + value_at + 1);
    }
  }
  for (const auto& [step, count] : counts) {
    if (count > 0) means[step] = sums[step] * 1000.0 / count;
  }
  return means;
}

// One CRI runtime under test: its stub, a host-network pod on it, the image
// its containers run, and the per-RPC and whole-cycle times.
struct Subject {
  std::string name;
  ::runtime::v1::RuntimeService::Stub* rt = nullptr;
  std::string image;
  std::string pod_id;
  ::runtime::v1::PodSandboxConfig pod;
  std::map<std::string, std::vector<double>> step_ms;
  std::vector<double> cycle_ms;
};

// create, start, status until RUNNING, stop (timeout 0), remove.
absl::Status CriCycle(Subject& x, int i) {
  using namespace ::runtime::v1;  // NOLINT: local, keeps the calls readable
  grpc::Status s;
  auto t0 = Clock::now();
  CreateContainerRequest create;
  create.set_pod_sandbox_id(x.pod_id);
  *create.mutable_sandbox_config() = x.pod;
  ContainerConfig* config = create.mutable_config();
  config->mutable_metadata()->set_name(absl::StrCat("c", i));
  config->mutable_image()->set_image(x.image);
  for (const char* a : {"/bin/busybox", "sleep", "100000"}) config->add_command(a);
  CreateContainerResponse created;
  s = Call([&](auto* c, const auto& r, auto* o) { return x.rt->CreateContainer(c, r, o); }, create, &created);
  if (!s.ok()) return absl::InternalError(x.name + " CreateContainer: " + s.error_message());
  auto t1 = Clock::now();
  StartContainerRequest start;
  start.set_container_id(created.container_id());
  StartContainerResponse start_resp;
  s = Call([&](auto* c, const auto& r, auto* o) { return x.rt->StartContainer(c, r, o); }, start, &start_resp);
  if (!s.ok()) return absl::InternalError(x.name + " StartContainer: " + s.error_message());
  auto t2 = Clock::now();
  ContainerStatusRequest status_req;
  status_req.set_container_id(created.container_id());
  ContainerStatusResponse status;
  do {
    s = Call([&](auto* c, const auto& r, auto* o) { return x.rt->ContainerStatus(c, r, o); }, status_req, &status);
  } while (s.ok() && status.status().state() == CONTAINER_CREATED);
  if (!s.ok() || status.status().state() != CONTAINER_RUNNING) {
    return absl::InternalError(x.name + ": container did not reach RUNNING");
  }
  auto t3 = Clock::now();
  StopContainerRequest stop;
  stop.set_container_id(created.container_id());
  StopContainerResponse stopped;
  s = Call([&](auto* c, const auto& r, auto* o) { return x.rt->StopContainer(c, r, o); }, stop, &stopped);
  if (!s.ok()) return absl::InternalError(x.name + " StopContainer: " + s.error_message());
  auto t4 = Clock::now();
  RemoveContainerRequest remove;
  remove.set_container_id(created.container_id());
  RemoveContainerResponse removed;
  s = Call([&](auto* c, const auto& r, auto* o) { return x.rt->RemoveContainer(c, r, o); }, remove, &removed);
  if (!s.ok()) return absl::InternalError(x.name + " RemoveContainer: " + s.error_message());
  auto t5 = Clock::now();
  x.cycle_ms.push_back(Ms(t5 - t0));
  x.step_ms["CreateContainer"].push_back(Ms(t1 - t0));
  x.step_ms["StartContainer"].push_back(Ms(t2 - t1));
  x.step_ms["ContainerStatus until RUNNING"].push_back(Ms(t3 - t2));
  x.step_ms["StopContainer (timeout 0)"].push_back(Ms(t4 - t3));
  x.step_ms["RemoveContainer"].push_back(Ms(t5 - t4));
  return absl::OkStatus();
}

// Pulls `image` through a CRI image service.
absl::Status Pull(::runtime::v1::ImageService::Stub* img, const std::string& image) {
  ::runtime::v1::PullImageRequest pull;
  pull.mutable_image()->set_image(image);
  ::runtime::v1::PullImageResponse pulled;
  grpc::Status s = Call([&](auto* c, const auto& r, auto* o) { return img->PullImage(c, r, o); }, pull, &pulled);
  return s.ok() ? absl::OkStatus() : absl::UnavailableError("PullImage " + image + ": " + s.error_message());
}

}  // namespace

int main(int argc, char** argv) {
  int cycles = 50;
  std::string containerd_socket, containerd_image;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    if (arg == "--containerd" && a + 1 < argc) {
      containerd_socket = argv[++a];
    } else if (arg == "--containerd-image" && a + 1 < argc) {
      containerd_image = argv[++a];
    } else {
      cycles = std::atoi(argv[a]);
    }
  }
  if (cycles <= 0 || cycles > 1000) return Fail("cycles must be 1..1000");
  if (containerd_socket.empty() != containerd_image.empty()) {
    return Fail("--containerd SOCKET and --containerd-image REF go together");
  }
  if (::geteuid() != 0) return Fail("needs root");

  silo::testing::TempDir dir, scratch, logs, floor_dir;
  auto started = silo::bench::StartBusyboxSilod(dir.path(), scratch.path());
  if (!started.ok()) return Fail(std::string(started.status().message()));
  const auto& silod = started->silod;

  // The busybox image has one layer: its snapshot is the floor's rootfs.
  std::string layer;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(silod->root() + "/images/snapshots", ec)) layer = e.path();
  if (layer.empty()) return Fail("no unpacked layer under " + silod->root() + "/images/snapshots");
  const std::string bundle = floor_dir.path() + "/bundle";
  const std::string runc_root = floor_dir.path() + "/runc";
  if (!silo::MakeDirs(bundle).ok() || !silo::MakeDirs(runc_root).ok()) return Fail("bundle dirs");
  if (absl::Status b = WriteBundle(bundle, layer); !b.ok()) return Fail(std::string(b.message()));

  std::vector<Subject> subjects(1);
  subjects[0].name = "silod";
  subjects[0].rt = started->rt.get();
  subjects[0].image = started->image;
  // containerd, when asked: the same cycle on its CRI socket, interleaved.
  std::shared_ptr<grpc::Channel> containerd;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> containerd_rt;
  if (!containerd_socket.empty()) {
    containerd = grpc::CreateChannel("unix://" + containerd_socket, grpc::InsecureChannelCredentials());
    containerd_rt = ::runtime::v1::RuntimeService::NewStub(containerd);
    auto containerd_img = ::runtime::v1::ImageService::NewStub(containerd);
    if (absl::Status p = Pull(containerd_img.get(), containerd_image); !p.ok()) return Fail(std::string(p.message()));
    Subject& x = subjects.emplace_back();
    x.name = "containerd";
    x.rt = containerd_rt.get();
    x.image = containerd_image;
  }
  for (Subject& x : subjects) {
    auto pod_id = silo::bench::RunHostNetworkPod(x.rt, "lifecycle", logs.path() + "/" + x.name, &x.pod);
    if (!pod_id.ok()) return Fail(x.name + ": " + std::string(pod_id.status().message()));
    x.pod_id = *pod_id;
  }

  std::map<std::string, std::vector<double>> floor_step_ms;
  std::vector<double> floor_ms;
  for (int i = 0; i < cycles; ++i) {
    for (Subject& x : subjects) {
      if (absl::Status c = CriCycle(x, i); !c.ok()) return Fail(std::string(c.message()));
    }
    // The floor, right after, so every row sees the same machine.
    auto f0 = Clock::now();
    if (absl::Status f = RuncCycle(bundle, runc_root, absl::StrCat("floor-", i), &floor_step_ms); !f.ok()) {
      return Fail(std::string(f.message()));
    }
    floor_ms.push_back(Ms(Clock::now() - f0));
  }

  for (Subject& x : subjects) silo::bench::RemovePod(x.rt, x.pod_id);
  // silod's own step timings, before it stops (means over every cycle).
  auto metrics = silo::testing::HttpGet(silod->metrics_port(), "/metrics");
  silod->Stop();

  const double floor = Percentile(floor_ms, 0.5);
  std::printf("| row (p50 of %d interleaved cycles) | ms |\n| --- | --- |\n", cycles);
  std::printf("| floor: runc create, start, kill, delete | %.1f |\n", floor);
  for (const Subject& x : subjects) {
    const double cycle = Percentile(x.cycle_ms, 0.5);
    std::printf("| %s: create, start, status, stop, remove | %.1f |\n", x.name.c_str(), cycle);
    std::printf("| %s above the floor | %.1f (%.2fx the floor) |\n", x.name.c_str(), cycle - floor, cycle / floor);
  }
  for (const auto& [step, ms] : floor_step_ms) std::printf("| floor runc %s | %.1f |\n", step.c_str(), Percentile(ms, 0.5));
  for (const Subject& x : subjects) {
    for (const auto& [step, ms] : x.step_ms) {
      std::printf("| %s %s | %.1f |\n", x.name.c_str(), step.c_str(), Percentile(ms, 0.5));
    }
  }
  if (!metrics.ok()) return Fail("metrics: " + std::string(metrics.status().message()));
  std::printf("\n| silod step (mean over all cycles, from its metrics) | ms |\n| --- | --- |\n");
  for (const char* family : {"silo_container_start_duration_seconds", "silo_container_remove_duration_seconds"}) {
    for (const auto& [step, ms] : MeanStepMs(*metrics, family)) std::printf("| %s %s | %.1f |\n", family, step.c_str(), ms);
  }
  return 0;
}
