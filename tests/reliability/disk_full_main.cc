// silo_reliability_disk_full: silod's root dir (images, database, writable
// layers) and the pods' log directory on one small tmpfs. An image pull that
// does not fit must fail with a clear error, a container whose log fills the
// disk must not bring silod down, the database must stay consistent (a pod
// run on freed space works, and a restart sees every record), and silod must
// keep answering Version and List calls throughout.
//
//   silo_reliability_disk_full [--size-mib=64]
//
// Prints one "CHECK pass|FAIL ..." line per check and a "RESULT ..." line;
// exit 0 when all pass, 77 when the machine lacks root, runc or busybox.
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "image/registry/testing/oci_layout.h"
#include "runtime/base/file_util.h"
#include "tests/reliability/driver_flags.h"
#include "tests/reliability/reliability_env.h"

namespace silo::reliability {
namespace {

using Clock = std::chrono::steady_clock;
using image::registry::testing::OciLayout;
using image::registry::testing::TestImage;

constexpr uint64_t kMiB = 1024 * 1024;

uint64_t FreeBytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

// Polls Version, ListPodSandbox and ListContainers every 100 ms on its own
// thread (with its own channel use through Env, which is thread-safe while
// silod is not being replaced) and counts failures.
class Prober {
 public:
  explicit Prober(Env* env) : env_(env), thread_([this] { Loop(); }) {}
  ~Prober() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int calls() const { return calls_; }
  int failures() const { return failures_; }
  const std::string& first_error() const { return first_error_; }

 private:
  void Loop() {
    while (!stop_) {
      std::vector<::runtime::v1::PodSandbox> pods;
      std::vector<::runtime::v1::Container> containers;
      for (grpc::Status s : {env_->Version(), env_->ListPods(&pods), env_->ListContainers(&containers)}) {
        ++calls_;
        if (!s.ok()) {
          if (failures_++ == 0) first_error_ = s.error_message();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  Env* env_;
  std::atomic<bool> stop_{false};
  std::atomic<int> calls_{0}, failures_{0};
  std::string first_error_;
  std::thread thread_;
};

class DiskFullDriver {
 public:
  DiskFullDriver(Env* env, int size_mib) : env_(env), size_mib_(size_mib) {}

  int Run() {
    auto prober = std::make_unique<Prober>(env_);
    BigPullFails();
    LogFloodDoesNotKillSilod();
    PodOnFreedSpaceWorks();
    prober->Stop();
    Check(prober->failures() == 0,
          absl::StrCat("silod served ", prober->calls(), " Version/List calls while the disk filled, ",
                       prober->failures(), " failed", prober->failures() ? ": " + prober->first_error() : ""));
    RestartSeesEveryRecord();
    Cleanup();
    std::cout << "RESULT disk_full checks_passed=" << passed_ << "/" << checks_ << std::endl;
    return passed_ == checks_ ? 0 : 1;
  }

 private:
  void Check(bool ok, const std::string& what) {
    ++checks_;
    if (ok) ++passed_;
    std::cout << "CHECK " << (ok ? "pass " : "FAIL ") << what << std::endl;
  }

  ::runtime::v1::PodSandboxConfig Pod(const std::string& name) {
    ::runtime::v1::PodSandboxConfig pod = env_->Pod(name, /*host_network=*/true);
    // Logs share the full disk with the root, as /var/log and /var/lib do on a node.
    pod.set_log_directory(env_->root() + "/podlogs/" + name);
    return pod;
  }

  void BigPullFails() {
    grpc::Status s = env_->Pull(env_->image());
    Check(s.ok(), "the small busybox image pulls onto the small disk: " + s.error_message());

    // One incompressible layer larger than the whole filesystem.
    std::string data(static_cast<size_t>(size_mib_ + 16) * kMiB, '\0');
    std::ifstream("/dev/urandom", std::ios::binary).read(data.data(), static_cast<std::streamsize>(data.size()));
    OciLayout layout(env_->scratch() + "/big-layout");
    TestImage big;
    big.layers = {{{"big.bin", std::move(data)}}};
    auto built = layout.AddImage(big);
    absl::Status pushed = built.ok() ? layout.Tag(built->manifest, "v1") : built.status();
    if (pushed.ok()) pushed = env_->registry()->Push(layout.dir(), "v1", "test/big");
    if (!pushed.ok()) {
      Check(false, "building the big image: " + pushed.ToString());
      return;
    }
    const std::string ref = env_->registry()->host() + "/test/big:v1";
    s = env_->Pull(ref);
    const std::string& msg = s.error_message();
    bool clear = s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED || absl::StrContains(msg, "No space") ||
                 absl::StrContains(msg, "ENOSPC");
    Check(!s.ok() && clear, absl::StrCat("a pull larger than the disk fails with RESOURCE_EXHAUSTED or ENOSPC ",
                                         "(got code ", s.error_code(), ": ", msg, ")"));
    bool present = true;
    Check(env_->ImageStatus(ref, &present).ok() && !present, "the failed image is not listed");
    uint64_t free_mib = FreeBytes(env_->root()) / kMiB;
    bool released = free_mib > static_cast<uint64_t>(size_mib_) / 2;
    Check(released, absl::StrCat("the failed pull's partial data is released (", free_mib, " MiB free of ",
                                 size_mib_, ")"));
    if (!released) {
      // Free it as an operator would, so the later checks still run.
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(env_->root() + "/images/content/ingest", ec)) {
        std::filesystem::remove_all(e.path(), ec);
      }
      std::cout << "note: removed the failed pull's ingest by hand (" << FreeBytes(env_->root()) / kMiB
                << " MiB free now)" << std::endl;
    }
  }

  void LogFloodDoesNotKillSilod() {
    flood_pod_config_ = Pod("flood");
    grpc::Status s = env_->RunPod(flood_pod_config_, &flood_pod_);
    Check(s.ok(), "RunPodSandbox flood: " + s.error_message());
    if (!s.ok()) return;
    const std::string line(200, 'x');
    // The flood begins after a pause: on a loaded machine it could fill the
    // disk before StartContainer's own record is committed, and that start
    // would then fail (and end the container) as it should.
    s = env_->CreateContainer(flood_pod_, flood_pod_config_,
                              env_->Command("flood", {"/bin/sh", "-c", "sleep 2; while true; do echo " + line + "; done"}),
                              &flood_);
    if (s.ok()) s = env_->StartContainer(flood_);
    Check(s.ok(), "the log flooding container starts: " + s.error_message());
    if (!s.ok()) return;
    bool full = Eventually([&] { return FreeBytes(env_->root()) < kMiB; }, std::chrono::seconds(120));
    Check(full, absl::StrCat("the container's log filled the disk (", FreeBytes(env_->root()) / 1024, " KiB free)"));
    // Keep the disk full a moment while silod works on it.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    Check(env_->SilodAlive() && env_->Version().ok(), "silod is alive and answers Version with the disk full");
    ::runtime::v1::ContainerStatus st;
    s = env_->ContainerStatus(flood_, &st);
    Check(s.ok(), "ContainerStatus of the flooding container works on a full disk: " + s.error_message());

    // A pod run on the full disk may fail, but cleanly: no half-made record.
    std::string id;
    s = env_->RunPod(Pod("on-full-disk"), &id);
    std::vector<::runtime::v1::PodSandbox> pods;
    env_->ListPods(&pods);
    bool half_made = false;
    for (const auto& p : pods) {
      if (p.metadata().name() == "on-full-disk" && (!s.ok() || p.state() != ::runtime::v1::SANDBOX_READY)) {
        half_made = true;
      }
    }
    Check(!half_made, absl::StrCat("RunPodSandbox on the full disk ", s.ok() ? "worked" : "failed cleanly (",
                                   s.ok() ? "" : s.error_message(), s.ok() ? "" : ")",
                                   half_made ? " but left a half-made sandbox" : ""));
    if (s.ok()) extra_pod_ = id;

    // The stop may fail while the database cannot commit; kubelet retries,
    // and its log rotation frees the space (truncating: the shim keeps the
    // file open, so unlinking would free nothing).
    const std::string flood_log = flood_pod_config_.log_directory() + "/flood/0.log";
    s = env_->StopContainer(flood_, 0);
    std::cout << "note: StopContainer on the full disk: " << (s.ok() ? "OK" : s.error_message()) << std::endl;
    for (int attempt = 0; attempt < 20 && !s.ok(); ++attempt) {
      ::truncate(flood_log.c_str(), 0);
      s = env_->StopContainer(flood_, 0);
    }
    if (s.ok()) s = env_->RemoveContainer(flood_);
    Check(s.ok(), "the flooding container stops (retried after log rotation) and removes: " + s.error_message());
    // kubelet deletes a removed container's logs.
    std::error_code ec;
    std::filesystem::remove_all(flood_pod_config_.log_directory() + "/flood", ec);
    uint64_t free_mib = FreeBytes(env_->root()) / kMiB;
    Check(free_mib > static_cast<uint64_t>(size_mib_) / 2,
          absl::StrCat("space is back after the log's removal (", free_mib, " MiB free)"));
  }

  void PodOnFreedSpaceWorks() {
    ::runtime::v1::PodSandboxConfig pod = Pod("after");
    grpc::Status s = env_->RunPod(pod, &after_pod_);
    std::string id;
    if (s.ok()) s = env_->CreateContainer(after_pod_, pod, env_->Printer("printer"), &id);
    if (s.ok()) s = env_->StartContainer(id);
    ::runtime::v1::ContainerStatus st;
    if (s.ok()) s = env_->ContainerStatus(id, &st);
    Check(s.ok() && st.state() == ::runtime::v1::CONTAINER_RUNNING,
          "a pod and container run on the freed space: " + s.error_message());
    after_container_ = id;
    const std::string log = pod.log_directory() + "/printer/0.log";
    Check(Eventually([&] { return std::filesystem::exists(log) && std::filesystem::file_size(log) > 0; },
                     std::chrono::seconds(10)),
          "its log is written");
  }

  void RestartSeesEveryRecord() {
    env_->KillSilod();
    absl::Status started = env_->StartSilod();
    Check(started.ok(), "silod restarts on the once-full disk: " + started.ToString());
    if (!started.ok()) return;
    std::vector<::runtime::v1::PodSandbox> pods;
    std::vector<::runtime::v1::Container> containers;
    bool listed = env_->ListPods(&pods).ok() && env_->ListContainers(&containers).ok();
    std::set<std::string> pod_ids, container_ids;
    for (const auto& p : pods) pod_ids.insert(p.id());
    for (const auto& c : containers) container_ids.insert(c.id());
    bool consistent = listed && pod_ids.count(flood_pod_) && pod_ids.count(after_pod_) &&
                      container_ids.count(after_container_) && !container_ids.count(flood_) &&
                      (extra_pod_.empty() || pod_ids.count(extra_pod_));
    Check(consistent, absl::StrCat("after a SIGKILL the database lists exactly what was acknowledged (",
                                   pods.size(), " pods, ", containers.size(), " containers)"));
    ::runtime::v1::ContainerStatus st;
    Check(env_->ContainerStatus(after_container_, &st).ok() && st.state() == ::runtime::v1::CONTAINER_RUNNING,
          "the container started on freed space still runs after the restart");
  }

  void Cleanup() {
    std::vector<::runtime::v1::Container> containers;
    std::vector<::runtime::v1::PodSandbox> pods;
    env_->ListContainers(&containers);
    env_->ListPods(&pods);
    bool ok = true;
    for (const auto& c : containers) ok = env_->RemoveContainer(c.id()).ok() && ok;
    for (const auto& p : pods) ok = env_->StopPod(p.id()).ok() && env_->RemovePod(p.id()).ok() && ok;
    ok = env_->RemoveImage(env_->image()).ok() && ok;
    Check(ok, "everything removes at the end");
  }

  Env* env_;
  int size_mib_;
  int checks_ = 0, passed_ = 0;
  ::runtime::v1::PodSandboxConfig flood_pod_config_;
  std::string flood_pod_, flood_, extra_pod_, after_pod_, after_container_;
};

}  // namespace
}  // namespace silo::reliability

int main(int argc, char** argv) {
  using namespace silo::reliability;
  int size_mib = 64;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (!absl::StartsWith(a, "--size-mib=") || !absl::SimpleAtoi(a.substr(11), &size_mib) || size_mib < 16) {
      std::cerr << "unknown or malformed flag " << a << "\n";
      return 2;
    }
  }
  if (::geteuid() != 0 || ::access("/bin/busybox", X_OK) != 0 || std::system("command -v runc >/dev/null 2>&1") != 0) {
    std::cout << "SKIP: needs root, runc and /bin/busybox\n";
    return 77;
  }
  auto env = Env::Create({.cni = false, .root_mount = absl::StrCat("size=", size_mib, "m,mode=0700")});
  if (!env.ok()) {
    std::cout << "CHECK FAIL setting up: " << env.status() << "\nRESULT disk_full checks_passed=0/1" << std::endl;
    return 1;
  }
  return DiskFullDriver(env->get(), size_mib).Run();
}
