#include "tests/reliability/reliability_env.h"

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "image/registry/testing/oci_layout.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "tests/support/busybox_image.h"

namespace silo::reliability {
namespace {

using Clock = std::chrono::system_clock;

constexpr char kPluginDir[] = "/usr/lib/cni";

template <typename Fn>
grpc::Status Call(std::chrono::seconds timeout, Fn fn) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Clock::now() + timeout);
  return fn(&ctx);
}

}  // namespace

std::string Capture(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) {
    if (exit_code) *exit_code = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  int st = ::pclose(f);
  if (exit_code) *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

bool ProcessDead(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  auto stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return true;
  size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z';
}

namespace {

// (pid, container id) of every live silo-shim whose socket lies in `state`.
std::vector<std::pair<pid_t, std::string>> Shims(const std::string& state) {
  std::vector<std::pair<pid_t, std::string>> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e.path().filename().string(), &pid)) continue;
    auto cmdline = ReadFile(e.path().string() + "/cmdline");
    if (!cmdline.ok() || cmdline->empty()) continue;
    std::vector<std::string> argv = absl::StrSplit(*cmdline, '\0');
    if (std::filesystem::path(argv[0]).filename() != "silo-shim") continue;
    std::string id, socket;
    for (size_t i = 1; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--id") id = argv[i + 1];
      if (argv[i] == "--socket") socket = argv[i + 1];
    }
    if (socket.rfind(state + "/", 0) != 0 || ProcessDead(pid)) continue;
    out.emplace_back(pid, id);
  }
  return out;
}

}  // namespace

std::vector<pid_t> PodInitPids(const std::string& root) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e.path().filename().string(), &pid)) continue;
    auto comm = ReadFile(e.path().string() + "/comm");
    if (!comm.ok() || absl::StripTrailingAsciiWhitespace(*comm) != "silo-pod-init") continue;
    // A fork of silod without exec: it carries silod's command line.
    auto cmdline = ReadFile(e.path().string() + "/cmdline");
    if (!cmdline.ok()) continue;
    std::vector<std::string> argv = absl::StrSplit(*cmdline, '\0');
    bool ours = false;
    for (size_t i = 1; i + 1 < argv.size(); ++i) ours = ours || (argv[i] == "--root" && argv[i + 1] == root);
    if (ours && !ProcessDead(pid)) out.push_back(pid);
  }
  return out;
}

pid_t ShimPid(const std::string& state, const std::string& id) {
  for (const auto& [pid, shim_id] : Shims(state)) {
    if (shim_id == id) return pid;
  }
  return -1;
}

std::vector<std::string> ShimIds(const std::string& state) {
  std::vector<std::string> out;
  for (const auto& s : Shims(state)) out.push_back(s.second);
  return out;
}

bool CanRunWithCni() {
  return ::geteuid() == 0 && ::access("/bin/busybox", X_OK) == 0 && ::access("/usr/lib/cni/bridge", X_OK) == 0 &&
         std::system("command -v runc >/dev/null 2>&1") == 0;
}

absl::StatusOr<std::unique_ptr<Env>> Env::Create(EnvOptions options) {
  std::unique_ptr<Env> env(new Env());
  SILO_RETURN_IF_ERROR(env->Setup(std::move(options)));
  return env;
}

absl::Status Env::Setup(EnvOptions options) {
  cni_ = options.cni;
  root_mount_ = options.root_mount;
  if (cni_) {
    if (::unshare(CLONE_NEWNET) != 0) return ErrnoToStatus(errno, "unshare(CLONE_NEWNET)");
    int rc = 0;
    std::string out = Capture("ip link set lo up", &rc);
    if (rc != 0) return absl::InternalError("ip link set lo up: " + out);
    nlohmann::json conflist = {
        {"cniVersion", "1.0.0"},
        {"name", kNetworkName},
        {"plugins",
         {{{"type", "bridge"},
           {"bridge", "silorel0"},
           {"isGateway", true},
           {"ipMasq", false},
           {"ipam",
            {{"type", "host-local"},
             {"dataDir", dir_.path() + "/ipam"},
             {"ranges", {{{{"subnet", "10.88.0.0/16"}}}}},
             {"routes", {{{"dst", "0.0.0.0/0"}}}}}}},
          {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}},
          {{"type", "loopback"}}}}};
    SILO_RETURN_IF_ERROR(MakeDirs(dir_.path() + "/cni"));
    SILO_RETURN_IF_ERROR(AtomicWriteFile(dir_.path() + "/cni/10-reliability.conflist", conflist.dump()));
  }
  if (!root_mount_.empty()) {
    SILO_RETURN_IF_ERROR(MakeDirs(root()));
    if (::mount("tmpfs", root().c_str(), "tmpfs", 0, root_mount_.c_str()) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("mount tmpfs (", root_mount_, ") on ", root()));
    }
  }
  SILO_ASSIGN_OR_RETURN(registry_, image::registry::testing::LocalRegistry::Start());
  SILO_ASSIGN_OR_RETURN(image_, testing::PushBusyboxImage(registry_.get(), scratch_.path()));
  // Its own content: CRI's RemoveImage drops every tag of an image, so a
  // second name for busybox would take busybox away from the containers.
  image::registry::testing::OciLayout churn(scratch_.path() + "/churn-layout");
  image::registry::testing::TestImage churn_image;
  churn_image.layers = {{{"churn/data.txt", std::string(256 * 1024, 'c')}}, {{"churn/more.txt", "more"}}};
  SILO_ASSIGN_OR_RETURN(auto built, churn.AddImage(churn_image));
  SILO_RETURN_IF_ERROR(churn.Tag(built.manifest, "v1"));
  SILO_RETURN_IF_ERROR(registry_->Push(churn.dir(), "v1", "test/churn"));
  churn_ = absl::StrCat(registry_->host(), "/test/churn:v1");
  return StartSilod();
}

Env::~Env() {
  rt_.reset();
  img_.reset();
  if (silod_) silod_->Stop(testing::kSigTerm);
  silod_.reset();
  if (cni_) Capture("ip link del silorel0");
}

absl::Status Env::StartSilod() {
  rt_.reset();
  img_.reset();
  silod_.reset();
  auto p = testing::SilodProcess::Start(
      {.dir = dir_.path(), .extra_yaml = absl::StrCat("registry: {insecure: [\"", registry_->host(), "\"]}\n")});
  if (!p.ok()) return p.status();
  silod_ = std::move(*p);
  rt_ = silod_->RuntimeStub();
  img_ = silod_->ImageStub();
  return absl::OkStatus();
}

int Env::KillSilod() { return silod_ ? silod_->Stop(testing::kSigKill) : -1; }
int Env::StopSilod() { return silod_ ? silod_->Stop(testing::kSigTerm) : -1; }
bool Env::SilodAlive() const { return silod_ && silod_->pid() > 0 && !ProcessDead(silod_->pid()); }

::runtime::v1::PodSandboxConfig Env::Pod(const std::string& name, bool host_network) const {
  ::runtime::v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("reliability");
  c.mutable_metadata()->set_uid("uid-" + name);
  c.set_hostname(name.substr(0, 63));
  (*c.mutable_labels())["suite"] = "reliability";
  c.set_log_directory(logs_.path() + "/" + name);
  if (host_network || !cni_) {
    c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(::runtime::v1::NODE);
    c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(::runtime::v1::CONTAINER);
  }
  return c;
}

::runtime::v1::ContainerConfig Env::Command(const std::string& name, std::vector<std::string> argv) const {
  ::runtime::v1::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_image()->set_image(image_);
  for (auto& a : argv) c.add_command(a);
  c.set_log_path(name + "/0.log");
  return c;
}

::runtime::v1::ContainerConfig Env::Printer(const std::string& name, const std::string& period) const {
  return Command(name, {"/bin/sh", "-c", absl::StrCat("i=0; while true; do echo seq $i; i=$((i+1)); sleep ",
                                                      period, "; done")});
}

grpc::Status Env::Version(std::chrono::seconds timeout) {
  ::runtime::v1::VersionResponse resp;
  return Call(timeout, [&](auto* c) { return rt_->Version(c, {}, &resp); });
}

grpc::Status Env::Pull(const std::string& image, std::chrono::seconds timeout) {
  ::runtime::v1::PullImageRequest req;
  req.mutable_image()->set_image(image);
  ::runtime::v1::PullImageResponse resp;
  return Call(timeout, [&](auto* c) { return img_->PullImage(c, req, &resp); });
}

grpc::Status Env::RemoveImage(const std::string& image) {
  ::runtime::v1::RemoveImageRequest req;
  req.mutable_image()->set_image(image);
  ::runtime::v1::RemoveImageResponse resp;
  return Call(std::chrono::seconds(60), [&](auto* c) { return img_->RemoveImage(c, req, &resp); });
}

grpc::Status Env::ImageStatus(const std::string& image, bool* present) {
  ::runtime::v1::ImageStatusRequest req;
  req.mutable_image()->set_image(image);
  ::runtime::v1::ImageStatusResponse resp;
  grpc::Status s = Call(std::chrono::seconds(30), [&](auto* c) { return img_->ImageStatus(c, req, &resp); });
  *present = resp.has_image() && !resp.image().id().empty();
  return s;
}

grpc::Status Env::RunPod(const ::runtime::v1::PodSandboxConfig& config, std::string* id) {
  ::runtime::v1::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  ::runtime::v1::RunPodSandboxResponse resp;
  grpc::Status s = Call(std::chrono::seconds(60), [&](auto* c) { return rt_->RunPodSandbox(c, req, &resp); });
  *id = resp.pod_sandbox_id();
  return s;
}

grpc::Status Env::StopPod(const std::string& id) {
  ::runtime::v1::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  ::runtime::v1::StopPodSandboxResponse resp;
  return Call(std::chrono::seconds(60), [&](auto* c) { return rt_->StopPodSandbox(c, req, &resp); });
}

grpc::Status Env::RemovePod(const std::string& id) {
  ::runtime::v1::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  ::runtime::v1::RemovePodSandboxResponse resp;
  return Call(std::chrono::seconds(60), [&](auto* c) { return rt_->RemovePodSandbox(c, req, &resp); });
}

grpc::Status Env::PodStatus(const std::string& id, ::runtime::v1::PodSandboxStatusResponse* resp) {
  ::runtime::v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(id);
  req.set_verbose(true);
  return Call(std::chrono::seconds(30), [&](auto* c) { return rt_->PodSandboxStatus(c, req, resp); });
}

grpc::Status Env::ListPods(std::vector<::runtime::v1::PodSandbox>* out) {
  ::runtime::v1::ListPodSandboxResponse resp;
  grpc::Status s = Call(std::chrono::seconds(30), [&](auto* c) { return rt_->ListPodSandbox(c, {}, &resp); });
  out->assign(resp.items().begin(), resp.items().end());
  return s;
}

grpc::Status Env::CreateContainer(const std::string& pod_id, const ::runtime::v1::PodSandboxConfig& pod,
                                  const ::runtime::v1::ContainerConfig& config, std::string* id) {
  ::runtime::v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod_id);
  *req.mutable_config() = config;
  *req.mutable_sandbox_config() = pod;
  ::runtime::v1::CreateContainerResponse resp;
  grpc::Status s = Call(std::chrono::seconds(60), [&](auto* c) { return rt_->CreateContainer(c, req, &resp); });
  *id = resp.container_id();
  return s;
}

grpc::Status Env::StartContainer(const std::string& id) {
  ::runtime::v1::StartContainerRequest req;
  req.set_container_id(id);
  ::runtime::v1::StartContainerResponse resp;
  return Call(std::chrono::seconds(60), [&](auto* c) { return rt_->StartContainer(c, req, &resp); });
}

grpc::Status Env::StopContainer(const std::string& id, int64_t timeout) {
  ::runtime::v1::StopContainerRequest req;
  req.set_container_id(id);
  req.set_timeout(timeout);
  ::runtime::v1::StopContainerResponse resp;
  return Call(std::chrono::seconds(60), [&](auto* c) { return rt_->StopContainer(c, req, &resp); });
}

grpc::Status Env::RemoveContainer(const std::string& id) {
  ::runtime::v1::RemoveContainerRequest req;
  req.set_container_id(id);
  ::runtime::v1::RemoveContainerResponse resp;
  return Call(std::chrono::seconds(60), [&](auto* c) { return rt_->RemoveContainer(c, req, &resp); });
}

grpc::Status Env::ContainerStatus(const std::string& id, ::runtime::v1::ContainerStatus* out) {
  ::runtime::v1::ContainerStatusRequest req;
  req.set_container_id(id);
  ::runtime::v1::ContainerStatusResponse resp;
  grpc::Status s = Call(std::chrono::seconds(30), [&](auto* c) { return rt_->ContainerStatus(c, req, &resp); });
  *out = resp.status();
  return s;
}

grpc::Status Env::ListContainers(std::vector<::runtime::v1::Container>* out) {
  ::runtime::v1::ListContainersResponse resp;
  grpc::Status s = Call(std::chrono::seconds(30), [&](auto* c) { return rt_->ListContainers(c, {}, &resp); });
  out->assign(resp.containers().begin(), resp.containers().end());
  return s;
}

grpc::Status Env::ExecSync(const std::string& id, std::vector<std::string> argv,
                           ::runtime::v1::ExecSyncResponse* out) {
  ::runtime::v1::ExecSyncRequest req;
  req.set_container_id(id);
  for (auto& a : argv) req.add_cmd(a);
  req.set_timeout(10);
  return Call(std::chrono::seconds(30), [&](auto* c) { return rt_->ExecSync(c, req, out); });
}

}  // namespace silo::reliability
