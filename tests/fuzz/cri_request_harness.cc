#include "tests/fuzz/cri_request_harness.h"

#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/stubs/logging.h"
#include "spdlog/spdlog.h"
#include "cri/daemon/streaming_wiring.h"
#include "cri/streaming/shim_runtime.h"
#include "network/netns/cni_pod_network.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/container/linux_container_host.h"
#include "runtime/linux/cgroup_mode.h"
#include "runtime/linux/oci_backend.h"
#include "runtime/linux/pod_cgroup.h"
#include "runtime/sandbox/linux_sandbox_host.h"
#include "runtime/stats/linux_stats_source.h"

namespace silo::fuzz {
namespace {

namespace v1 = ::runtime::v1;

// Collects nothing and reports a client that has already gone, so streaming
// handlers (GetContainerEvents waits for events until cancelled) return at once.
template <typename T>
class GoneSink final : public cri::StreamSink<T> {
 public:
  bool Write(const T&) override { return false; }
  bool IsCancelled() const override { return true; }
};

using Handler = absl::Status (*)(cri::CriService& service, const uint8_t* data, size_t size);

struct Rpc {
  const char* name;
  Handler call;
};

template <typename Request>
Request Parse(const uint8_t* data, size_t size) {
  Request request;
  // A failed parse keeps what was read so far; the handler gets that.
  (void)request.ParseFromArray(data, static_cast<int>(size));
  return request;
}

#define SILO_FUZZ_UNARY(name)                                                       \
  Rpc{#name, [](cri::CriService& s, const uint8_t* d, size_t n) -> absl::Status {   \
        v1::name##Response response;                                                \
        return s.name(Parse<v1::name##Request>(d, n), &response);                   \
      }},
#define SILO_FUZZ_STREAM(name)                                                      \
  Rpc{#name, [](cri::CriService& s, const uint8_t* d, size_t n) -> absl::Status {   \
        GoneSink<v1::name##Response> sink;                                          \
        return s.name(Parse<v1::name##Request>(d, n), sink);                        \
      }},

// The selector order: the X-macro lists in cri/api/rpcs.h, then
// GetContainerEvents. make_cri_request_corpus.sh numbers seeds the same way.
const std::vector<Rpc>& Rpcs() {
  static const std::vector<Rpc> rpcs = {
      SILO_CRI_RUNTIME_UNARY_RPCS(SILO_FUZZ_UNARY) SILO_CRI_RUNTIME_STREAM_RPCS(SILO_FUZZ_STREAM)
          SILO_CRI_IMAGE_UNARY_RPCS(SILO_FUZZ_UNARY) SILO_CRI_IMAGE_STREAM_RPCS(SILO_FUZZ_STREAM)
              Rpc{"GetContainerEvents",
                  [](cri::CriService& s, const uint8_t* d, size_t n) -> absl::Status {
                    GoneSink<v1::ContainerEventResponse> sink;
                    return s.GetContainerEvents(Parse<v1::GetEventsRequest>(d, n), sink);
                  }},
  };
  return rpcs;
}

#undef SILO_FUZZ_UNARY
#undef SILO_FUZZ_STREAM

// Mount points at or under `dir`, from /proc/self/mountinfo (field 5).
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    if (mount_point == dir || absl::StartsWith(mount_point, dir + "/")) out.push_back(mount_point);
  }
  return out;
}

// Open descriptors of this process: fd number -> what it refers to.
std::map<int, std::string> OpenFds() {
  std::map<int, std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::error_code link_ec;
    std::string target = std::filesystem::read_symlink(e.path(), link_ec).string();
    if (absl::StartsWith(target, "/proc/")) continue;  // the listing's own directory
    out[std::atoi(e.path().filename().c_str())] = std::move(target);
  }
  return out;
}

runtime::linux_backend::PodCgroups::Options CgroupOptions(const std::string& parent) {
  runtime::linux_backend::PodCgroups::Options o;
  o.parent = parent;
  return o;
}

// Wires the backends in the order and with the settings of
// cri/daemon/wiring_linux.cc (see the header for the differences).
absl::Status Wire(const std::string& dir, const std::string& cgroup_parent, cri::Backends& b) {
  const std::string root = dir + "/root";
  const std::string state = dir + "/s";  // short: shim socket paths must fit sun_path
  const std::string cni_conf = dir + "/cni-conf";
  for (const std::string& d : {root, state, cni_conf}) SILO_RETURN_IF_ERROR(MakeDirs(d));
  if (const char* loopback = ::getenv("SILO_FUZZ_CNI_LOOPBACK"); loopback != nullptr && loopback[0] == '1') {
    // Opt-in: pod networks get only a loopback interface (no traffic leaves).
    SILO_RETURN_IF_ERROR(AtomicWriteFile(
        cni_conf + "/10-loopback.conflist",
        R"({"cniVersion":"1.0.0","name":"fuzz-lo","plugins":[{"type":"loopback"}]})"));
  }

  b.compute = std::make_unique<runtime::linux_backend::OciBackend>("runc");
  b.network = std::make_unique<network::netns::CniPodNetwork>(std::vector<std::string>{"/usr/lib/cni"}, cni_conf,
                                                              state + "/cni");
  b.cgroup_driver = "cgroupfs";
  SILO_ASSIGN_OR_RETURN(b.db, runtime::store::MetadataDb::Open(root));
  b.sandbox_store = std::make_unique<runtime::store::SandboxStore>(b.db.get());
  SILO_ASSIGN_OR_RETURN(runtime::linux_backend::PodCgroups cgroups,
                        runtime::linux_backend::PodCgroups::Open(CgroupOptions(cgroup_parent)));
  b.sandbox_host = std::make_unique<runtime::sandbox::LinuxSandboxHost>(state + "/netns", std::move(cgroups));
  b.events = std::make_unique<runtime::events::EventBus>();

  runtime::sandbox::SandboxManagerOptions sandbox_options;
  sandbox_options.files_dir = root + "/sandboxes";
  sandbox_options.handlers.push_back("");
  sandbox_options.node_hostname = "silo-fuzz";
  b.sandboxes = std::make_unique<runtime::sandbox::SandboxManager>(sandbox_options, b.sandbox_store.get(),
                                                                   b.sandbox_host.get(), b.network.get(),
                                                                   b.events.get());
  SILO_RETURN_IF_ERROR(Annotate(b.sandboxes->Recover(), "sandbox recovery"));

  image::ImageManagerOptions images;
  images.root = root + "/images";
  images.registry.max_attempts = 1;
  images.stall_timeout = std::chrono::seconds(5);
  SILO_ASSIGN_OR_RETURN(b.images, image::ImageManager::Open(std::move(images), b.db.get()));

  runtime::container::LinuxContainerHostOptions host;
  host.root_dir = root + "/containers";
  host.state_dir = state + "/containers";
  host.socket_dir = state + "/shims";
  host.shim_binary = runtime::container::DefaultShimBinary();
  host.runc_binary = "runc";
  host.runc_root = state + "/runc";
  host.netns_dir = state + "/netns";
  b.container_store = std::make_unique<runtime::store::ContainerStore>(b.db.get());
  b.container_host = std::make_unique<runtime::container::LinuxContainerHost>(std::move(host));
  b.containers = std::make_unique<runtime::container::ContainerManager>(
      b.container_store.get(), b.sandboxes.get(), b.images.get(), b.container_host.get(), b.events.get());
  SILO_RETURN_IF_ERROR(Annotate(b.containers->Recover(), "container recovery"));

  SILO_ASSIGN_OR_RETURN(runtime::linux_backend::CgroupMode mode, runtime::linux_backend::DetectCgroupMode());
  b.stats_source = std::make_unique<runtime::stats::LinuxStatsSource>(
      runtime::stats::CgroupCounters("/sys/fs/cgroup", mode), root + "/containers");
  b.stats = std::make_unique<runtime::stats::StatsSampler>(runtime::stats::SamplerOptions{}, b.container_store.get(),
                                                           b.sandbox_store.get(), b.stats_source.get());
  b.streaming_runtime = std::make_unique<cri::streaming::ShimStreamingRuntime>(b.containers.get(), b.sandboxes.get());
  SILO_ASSIGN_OR_RETURN(b.streaming_server,
                        cri::StartStreamingServer(cri::Config::Streaming{}, b.streaming_runtime.get()));
  return absl::OkStatus();
}

}  // namespace

size_t CriHarness::RpcCount() { return Rpcs().size(); }

const char* CriHarness::RpcName(size_t index) { return Rpcs()[index % Rpcs().size()].name; }

absl::StatusOr<std::unique_ptr<CriHarness>> CriHarness::Create() {
  if (::geteuid() != 0) return absl::FailedPreconditionError("the CRI fuzz harness needs root");
  // Every registry request goes to a closed loopback port: a pull fails at
  // once, without DNS lookups or traffic leaving the machine.
  for (const char* var : {"all_proxy", "ALL_PROXY", "http_proxy", "https_proxy", "HTTPS_PROXY"}) {
    ::setenv(var, "http://127.0.0.1:9", 1);
  }
  ::unsetenv("no_proxy");
  ::unsetenv("NO_PROXY");

  // Hostile requests fail by the thousand: keep the output to what matters.
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  spdlog::set_level(spdlog::level::critical);

  std::unique_ptr<CriHarness> h(new CriHarness);
  char tmpl[] = "/tmp/silo-crifz-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return ErrnoToStatus(errno, "mkdtemp /tmp/silo-crifz-XXXXXX");
  h->dir_ = tmpl;
  h->cgroup_parent_ = absl::StrCat("silo-fuzz-", std::filesystem::path(h->dir_).filename().string());
  SILO_RETURN_IF_ERROR(Annotate(Wire(h->dir_, h->cgroup_parent_, h->backends_), "wiring the CRI service"));

  cri::ServiceOptions options;
  options.runtime_version = "fuzz";
  options.cgroup_driver = h->backends_.cgroup_driver;
  options.handlers.push_back({"", false, false});
  options.config_json = "{}";
  options.build_json = "{}";
  cri::ServiceDeps deps;
  const cri::Backends& b = h->backends_;
  deps.backend = b.compute.get();
  deps.network = b.network.get();
  deps.sandboxes = b.sandboxes.get();
  deps.images = b.images.get();
  deps.containers = b.containers.get();
  deps.events = b.events.get();
  deps.stats = b.stats.get();
  deps.streaming = b.streaming_server.get();
  h->service_ = std::make_unique<cri::Service>(std::move(options), deps);
  h->baseline_fds_ = OpenFds();
  return h;
}

CriHarness::~CriHarness() {
  service_.reset();
  if (backends_.events) backends_.events->Close();
  if (backends_.streaming_server) backends_.streaming_server->Stop();
  if (backends_.stats) backends_.stats->Stop();
  backends_ = cri::Backends();  // in reverse order of wiring: managers before stores
  if (dir_.empty()) return;
  // Whatever a failed run left (CleanUpAndCheck has reported it by now) goes
  // too, so a failing CI run does not leak mounts and cgroups into the host:
  // mounts deepest first, pod cgroups and then their parent, then the tree.
  std::vector<std::string> mounts = MountsUnder(dir_);
  std::sort(mounts.rbegin(), mounts.rend());
  for (const std::string& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
  std::error_code ec;
  for (const char* base : {"/sys/fs/cgroup", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids",
                           "/sys/fs/cgroup/unified"}) {
    const std::filesystem::path parent = std::filesystem::path(base) / cgroup_parent_;
    if (!std::filesystem::is_directory(parent, ec)) continue;
    for (const auto& e : std::filesystem::directory_iterator(parent, ec)) {
      if (e.is_directory(ec)) ::rmdir(e.path().c_str());  // cgroup dirs go with rmdir, never unlink
    }
    ::rmdir(parent.c_str());
  }
  if (MountsUnder(dir_).empty()) std::filesystem::remove_all(dir_, ec);
}

absl::Status CriHarness::Call(size_t index, const uint8_t* data, size_t size) {
  return Rpcs()[index % Rpcs().size()].call(*service_, data, size);
}

absl::Status CriHarness::CleanUpAndCheck() {
  // Every object is attempted even after a failure, so one report names all.
  std::vector<std::string> errors;
  auto note = [&](const absl::Status& s, const std::string& what) {
    if (!s.ok()) errors.push_back(absl::StrCat(what, ": ", s.ToString()));
  };
  v1::ListContainersResponse containers;
  note(service_->ListContainers({}, &containers), "ListContainers");
  for (const v1::Container& c : containers.containers()) {
    v1::StopContainerRequest stop;
    stop.set_container_id(c.id());
    v1::StopContainerResponse stopped;
    note(service_->StopContainer(stop, &stopped), absl::StrCat("StopContainer ", c.id()));
    v1::RemoveContainerRequest remove;
    remove.set_container_id(c.id());
    v1::RemoveContainerResponse removed;
    note(service_->RemoveContainer(remove, &removed), absl::StrCat("RemoveContainer ", c.id()));
  }
  v1::ListPodSandboxResponse pods;
  note(service_->ListPodSandbox({}, &pods), "ListPodSandbox");
  for (const v1::PodSandbox& p : pods.items()) {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(p.id());
    v1::StopPodSandboxResponse stopped;
    note(service_->StopPodSandbox(stop, &stopped), absl::StrCat("StopPodSandbox ", p.id()));
    v1::RemovePodSandboxRequest remove;
    remove.set_pod_sandbox_id(p.id());
    v1::RemovePodSandboxResponse removed;
    note(service_->RemovePodSandbox(remove, &removed), absl::StrCat("RemovePodSandbox ", p.id()));
  }
  if (!errors.empty()) return absl::InternalError(absl::StrJoin(errors, "; "));

  containers.Clear();
  SILO_RETURN_IF_ERROR(service_->ListContainers({}, &containers));
  if (containers.containers_size() != 0) {
    return absl::InternalError(absl::StrCat(containers.containers_size(), " containers left after cleanup, first ",
                                            containers.containers(0).id()));
  }
  pods.Clear();
  SILO_RETURN_IF_ERROR(service_->ListPodSandbox({}, &pods));
  if (pods.items_size() != 0) {
    return absl::InternalError(
        absl::StrCat(pods.items_size(), " pod sandboxes left after cleanup, first ", pods.items(0).id()));
  }
  if (std::vector<std::string> mounts = MountsUnder(dir_); !mounts.empty()) {
    return absl::InternalError(absl::StrCat(mounts.size(), " mounts left under ", dir_, ", first ", mounts[0]));
  }
  SILO_ASSIGN_OR_RETURN(runtime::linux_backend::PodCgroups cgroups,
                        runtime::linux_backend::PodCgroups::Open(CgroupOptions(cgroup_parent_)));
  SILO_ASSIGN_OR_RETURN(std::vector<std::string> left, cgroups.List());
  if (!left.empty()) {
    return absl::InternalError(
        absl::StrCat(left.size(), " pod cgroups left under ", cgroup_parent_, ", first ", left[0]));
  }
  // Descriptors opened by the calls and still open now leaked (the set
  // wired at start-up, database and listeners included, stays constant).
  std::string leaked;
  for (const auto& [fd, target] : OpenFds()) {
    if (!baseline_fds_.count(fd)) absl::StrAppend(&leaked, leaked.empty() ? "" : ", ", fd, " -> ", target);
  }
  if (!leaked.empty()) return absl::InternalError(absl::StrCat("descriptors left open: ", leaked));
  return absl::OkStatus();
}

}  // namespace silo::fuzz
