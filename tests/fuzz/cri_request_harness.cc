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
#include "cri/daemon/wiring.h"
#include "cri/daemon/wiring_linux.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/linux/pod_cgroup.h"

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

// silod's config for a private root and state dir under `dir`.
cri::Config HarnessConfig(const std::string& dir) {
  cri::Config c;
  c.root = dir + "/root";
  c.state = dir + "/s";  // short: shim socket paths must fit sun_path
  c.cni.bin_dirs = {"/usr/lib/cni"};
  c.cni.conf_dir = dir + "/cni-conf";
  return c;
}

// Wires the backends exactly as silod does (cri/daemon/wiring_core.cc over
// wiring_linux.cc); see the header for the differences.
absl::Status Wire(const cri::Config& config, cri::Backends& b) {
  for (const std::string& d : {config.root, config.state, config.cni.conf_dir}) SILO_RETURN_IF_ERROR(MakeDirs(d));
  if (const char* loopback = ::getenv("SILO_FUZZ_CNI_LOOPBACK"); loopback != nullptr && loopback[0] == '1') {
    // Opt-in: pod networks get only a loopback interface (no traffic leaves).
    SILO_RETURN_IF_ERROR(AtomicWriteFile(
        config.cni.conf_dir + "/10-loopback.conflist",
        R"({"cniVersion":"1.0.0","name":"fuzz-lo","plugins":[{"type":"loopback"}]})"));
  }
  SILO_ASSIGN_OR_RETURN(cri::PlatformParts platform, cri::WirePlatform(config));
  platform.node_hostname = "silo-fuzz";
  cri::CoreOptions core;
  core.registry_max_attempts = 1;
  core.registry_stall_timeout = std::chrono::seconds(5);
  SILO_ASSIGN_OR_RETURN(b, cri::WireCore(config, std::move(platform), core));
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
  const cri::Config config = HarnessConfig(h->dir_);
  h->cgroup_parent_ = cri::PodCgroupParent(config);
  SILO_RETURN_IF_ERROR(Annotate(Wire(config, h->backends_), "wiring the CRI service"));

  cri::ServiceOptions options;
  options.runtime_version = "fuzz";
  options.cgroup_driver = h->backends_.cgroup_driver;
  options.config_json = "{}";
  options.build_json = "{}";
  cri::ServiceDeps deps;
  const cri::Backends& b = h->backends_;
  deps.handlers = b.handlers.get();
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
