#include "runtime/linux/linux_container_host.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/durations.h"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/saturating_time.h"
#include "runtime/base/status_macros.h"
#include "runtime/linux/container_spec.h"
#include "runtime/linux/oci_spec.h"
#include "runtime/linux/runc.h"
#include "runtime/linux/seccomp_default.h"
#include "runtime/shim/shim_client.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace silo::runtime::linux_backend {
namespace {

using shim::ShimClient;

constexpr auto kConnectTimeout = std::chrono::seconds(5);

shim::Deadline In(std::chrono::milliseconds d) { return SaturatingAdd(std::chrono::steady_clock::now(), d); }

absl::StatusOr<std::unique_ptr<ShimClient>> Connect(const std::string& id, const std::string& socket) {
  auto client = ShimClient::Connect(socket, In(kConnectTimeout));
  if (!client.ok()) {
    return absl::UnavailableError(
        absl::StrCat("container ", id, ": cannot reach its shim at ", socket, ": ", client.status().message()));
  }
  return std::move(*client);
}

ProcessState FromResponse(const shim::Response& r) {
  ProcessState s;
  s.started = r.state == "running" || r.state == "stopped";
  s.exited = r.exited;
  s.exit_code = r.exit_code;
  s.exited_at_ns = r.exited_at_unix_nanos;
  s.pid = r.pid;
  return s;
}

absl::Status Unmount(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("umount ", path));
  }
  return absl::OkStatus();
}

// On cgroup v1 runc creates the container's cgroup, and any missing parents,
// in every hierarchy, but the pod cgroup exists only in the controllers the
// sandbox manages (cpu, memory, pids), and runc delete removes only the
// leaf. Removes the pod's directory and its parent from the other
// hierarchies once empty (rmdir fails harmlessly while another container of
// the pod still has its cgroup there).
void RemoveUnmanagedPodCgroups(const std::string& cgroup_root, const std::string& container_cgroup) {
  std::filesystem::path pod = std::filesystem::path(container_cgroup).parent_path();
  if (pod.empty() || pod == "/") return;
  if (::access((cgroup_root + "/cgroup.controllers").c_str(), F_OK) == 0) return;  // v2: one hierarchy
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(cgroup_root, ec)) {
    if (entry.is_symlink(ec) || !entry.is_directory(ec)) continue;
    std::string name = entry.path().filename().string();
    bool managed = name == "unified" || name == "systemd";
    for (absl::string_view controller : absl::StrSplit(name, ',')) {
      managed = managed || controller == "cpu" || controller == "memory" || controller == "pids";
    }
    if (managed) continue;
    std::string dir = entry.path().string() + pod.string();
    ::rmdir(dir.c_str());
    ::rmdir(std::filesystem::path(dir).parent_path().c_str());
  }
}

// Whether the bundle's config.json gives the container a new PID namespace
// (true when it cannot be read: the old default).
bool OwnsPidNamespace(const std::string& bundle) {
  absl::StatusOr<std::string> text = ReadFile(bundle + "/config.json");
  if (!text.ok()) return true;
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("linux") || !doc["linux"].contains("namespaces")) return true;
  for (const auto& ns : doc["linux"]["namespaces"]) {
    if (ns.value("type", "") == "pid") return ns.value("path", "").empty();
  }
  return false;
}

}  // namespace

std::string DefaultShimBinary() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path candidate = self.parent_path() / "../../runtime/shim/silo-shim";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.lexically_normal().string();
  }
  return "silo-shim";
}

absl::StatusOr<std::string> LinuxContainerHost::TargetPidNamespace(const CreateSpec& spec) {
  const auto& ns = spec.config->linux().security_context().namespace_options();
  if (ns.pid() != ::runtime::v1::TARGET) return std::string();
  const std::string& target = ns.target_id();
  absl::StatusOr<ProcessState> state = State(target, SocketPath(target));
  if (!state.ok() || !state->started || state->exited || state->pid <= 0) {
    return absl::FailedPreconditionError(absl::StrCat("container ", spec.id, ": PID namespace target ", target,
                                                      " is not a running container",
                                                      state.ok() ? "" : absl::StrCat(" (", state.status().message(), ")")));
  }
  return absl::StrCat("/proc/", state->pid, "/ns/pid");
}

absl::Status LinuxContainerHost::WriteBundle(const CreateSpec& spec, const std::string& target_pid_ns) const {
  SILO_FAILPOINT("container.bundle");
  // kubelet expects a missing host path to be created as a directory.
  for (const auto& m : spec.config->mounts()) {
    if (!m.host_path().empty() && ::access(m.host_path().c_str(), F_OK) != 0) {
      SILO_RETURN_IF_ERROR(MakeDirs(m.host_path()));
    }
  }
  if (spec.rootfs.empty()) return absl::InvalidArgumentError(absl::StrCat("container ", spec.id, ": no rootfs"));
  SILO_RETURN_IF_ERROR(MakeDirs(BundleDir(spec.id), 0755));
  SILO_ASSIGN_OR_RETURN(linux_backend::OciSpecInput in, BuildOciSpecInput(spec, spec.rootfs, options_.netns_dir));
  if (!target_pid_ns.empty()) {
    for (auto& ns : in.namespaces) {
      if (ns.type == "pid") ns.path = target_pid_ns;
    }
  }
  SILO_RETURN_IF_ERROR(ApplySeccomp(*spec.config, linux_backend::RuntimeSupportsSeccomp(options_.runc_binary), &in));
  SILO_ASSIGN_OR_RETURN(int floor, linux_backend::ReadOwnOomScoreAdj());
  SILO_ASSIGN_OR_RETURN(nlohmann::json doc, linux_backend::BuildOciSpec(in, floor));
  return AtomicWriteFile(BundleDir(spec.id) + "/config.json", doc.dump(2));
}

absl::Status LinuxContainerHost::StartShim(const std::string& id, const std::string& log_path,
                                             bool open_stdin, bool tty) const {
  SILO_FAILPOINT("container.shim_spawn");
  SILO_RETURN_IF_ERROR(MakeDirs(options_.socket_dir, 0700));
  SILO_RETURN_IF_ERROR(MakeDirs(options_.runc_root, 0700));
  std::vector<std::string> args = {options_.shim_binary, "--id",        id,
                                   "--bundle",           BundleDir(id), "--runc-root",
                                   options_.runc_root,   "--runc",      options_.runc_binary,
                                   "--log",              log_path.empty() ? "/dev/null" : log_path,
                                   "--socket",           SocketPath(id), "--exit-file",
                                   BundleDir(id) + "/exit", "--create-only", "true",
                                   "--stdin",            open_stdin ? "true" : "false",
                                   "--tty",              tty ? "true" : "false"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe for silo-shim");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out[1], 2);
  pid_t pid = 0;
  int err = ::posix_spawnp(&pid, options_.shim_binary.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  if (err != 0) {
    ::close(out[0]);
    return ErrnoToStatus(err, absl::StrCat("container ", id, ": spawn ", options_.shim_binary));
  }
  std::string output;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) output.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("container ", id, ": silo-shim create failed: ",
                                            absl::StripAsciiWhitespace(output)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LinuxContainerHost::Create(const CreateSpec& spec) {
  SILO_ASSIGN_OR_RETURN(std::string target_pid_ns, TargetPidNamespace(spec));
  CleanupStack undo;
  undo.Push("remove container files", [this, id = spec.id] { return Remove(id, ""); });
  StepTimer bundle(Timing::kContainerStart, "bundle");
  SILO_RETURN_IF_ERROR(WriteBundle(spec, target_pid_ns));
  if (!spec.log_path.empty()) {
    SILO_RETURN_IF_ERROR(MakeDirs(std::filesystem::path(spec.log_path).parent_path().string()));
  }
  bundle.Done(true);
  StepTimer monitor(Timing::kContainerStart, "monitor");
  SILO_RETURN_IF_ERROR(StartShim(spec.id, spec.log_path, spec.config->stdin(), spec.config->tty()));
  monitor.Done(true);
  undo.Dismiss();
  return SocketPath(spec.id);
}

absl::Status LinuxContainerHost::Start(const std::string& id, const std::string& handle) {
  SILO_ASSIGN_OR_RETURN(auto client, Connect(id, handle));
  return Annotate(client->Start(In(std::chrono::seconds(30))), absl::StrCat("start container ", id));
}

absl::Status LinuxContainerHost::Kill(const std::string& id, const std::string& handle, int signal) {
  SILO_ASSIGN_OR_RETURN(auto client, Connect(id, handle));
  // In its own PID namespace, signalling init is enough: its death takes the
  // rest of the namespace with it. Sharing one (the node's, the pod's, a
  // target's), every process of the container is signalled.
  return Annotate(client->Kill(signal, /*all=*/!OwnsPidNamespace(BundleDir(id)), In(std::chrono::seconds(10))),
                  absl::StrCat("signal ", signal, " to container ", id));
}

absl::StatusOr<ProcessState> LinuxContainerHost::State(const std::string& id, const std::string& handle) {
  SILO_ASSIGN_OR_RETURN(auto client, Connect(id, handle));
  SILO_ASSIGN_OR_RETURN(shim::Response r, client->State(In(std::chrono::seconds(10))));
  return FromResponse(r);
}

absl::StatusOr<ProcessState> LinuxContainerHost::Wait(const std::string& id, const std::string& handle,
                                                      std::chrono::milliseconds timeout) {
  SILO_ASSIGN_OR_RETURN(auto client, Connect(id, handle));
  auto r = client->Wait(In(timeout));
  if (!r.ok()) return Annotate(r.status(), absl::StrCat("wait for container ", id));
  return FromResponse(*r);
}

namespace {

class ShimExitWatch final : public ExitWatch {
 public:
  ShimExitWatch(shim::ShimExitWatcher* watcher, uint64_t token) : watcher_(watcher), token_(token) {}
  ~ShimExitWatch() override { watcher_->Cancel(token_); }

 private:
  shim::ShimExitWatcher* const watcher_;
  const uint64_t token_;
};

}  // namespace

std::unique_ptr<ExitWatch> LinuxContainerHost::WatchExit(const std::string& id, const std::string& handle,
                                                         std::function<void()> on_exit) {
  shim::ShimExitWatcher* watcher = nullptr;
  {
    silo::MutexLock lock(&watcher_mu_);
    if (watcher_ == nullptr) {
      auto started = shim::ShimExitWatcher::Start();
      if (!started.ok()) {
        spdlog::warn("exit watcher: {}; exits are learnt by polling", std::string(started.status().message()));
        return nullptr;
      }
      watcher_ = std::move(*started);
    }
    watcher = watcher_.get();
  }
  auto token = watcher->Watch(
      handle.empty() ? SocketPath(id) : handle, [on_exit = std::move(on_exit)](auto) { on_exit(); },
      In(std::chrono::seconds(2)));
  if (!token.ok()) {
    spdlog::debug("container {}: no exit watch: {}", id, std::string(token.status().message()));
    return nullptr;
  }
  return std::make_unique<ShimExitWatch>(watcher, *token);
}

absl::StatusOr<ExecResult> LinuxContainerHost::Exec(const std::string& id, const std::string& handle,
                                                    const std::vector<std::string>& args,
                                                    std::chrono::milliseconds timeout) {
  SILO_ASSIGN_OR_RETURN(auto client, Connect(id, handle));
  auto r = client->Exec(args, {}, timeout);
  if (!r.ok()) return Annotate(r.status(), absl::StrCat("exec in container ", id));
  return ExecResult{r->exit_code, std::move(r->stdout_data), std::move(r->stderr_data)};
}

absl::Status LinuxContainerHost::ReopenLog(const std::string& id, const std::string& handle) {
  SILO_ASSIGN_OR_RETURN(auto client, Connect(id, handle));
  return Annotate(client->ReopenLog(In(std::chrono::seconds(10))), absl::StrCat("reopen log of container ", id));
}

absl::Status LinuxContainerHost::Remove(const std::string& id, const std::string& handle) {
  std::string socket = handle.empty() ? SocketPath(id) : handle;
  // The shim's shutdown runs `runc delete` itself; only when it could not
  // does silod run it (one runc process per removal, not two).
  bool deleted_by_shim = false;
  StepTimer monitor(Timing::kContainerRemove, "monitor");
  if (::access(socket.c_str(), F_OK) == 0) {
    auto client = ShimClient::Connect(socket, In(std::chrono::seconds(2)));
    if (client.ok()) {
      // Best effort: a shim that no longer answers is handled by runc delete.
      auto state = (*client)->State(In(std::chrono::seconds(5)));
      if (state.ok() && !state->exited) {
        (void)(*client)->Kill(SIGKILL, false, In(std::chrono::seconds(5)));
        auto waiter = ShimClient::Connect(socket, In(std::chrono::seconds(2)));
        if (waiter.ok()) (void)(*waiter)->Wait(In(std::chrono::seconds(10)));
      }
      deleted_by_shim = (*client)->Shutdown(In(std::chrono::seconds(5))).ok();
    }
  }
  std::string cgroup;
  if (auto config = ReadFile(BundleDir(id) + "/config.json"); config.ok()) {
    nlohmann::json doc = nlohmann::json::parse(*config, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc.contains("linux") && doc["linux"].is_object() &&
        doc["linux"].value("cgroupsPath", nlohmann::json()).is_string()) {
      cgroup = doc["linux"]["cgroupsPath"].get<std::string>();
    }
  }
  if (!deleted_by_shim) {
    linux_backend::Runc runc(options_.runc_binary, options_.runc_root);
    SILO_RETURN_IF_ERROR(runc.Delete(id, /*force=*/true));
  }
  if (!cgroup.empty()) RemoveUnmanagedPodCgroups(options_.cgroup_root, cgroup);
  monitor.Done(true);
  // The layer store mounts the rootfs inside the bundle dir and removes it
  // after this; unmounted here too, as deleting through a live overlay
  // would write whiteouts into the writable layer.
  StepTimer rootfs(Timing::kContainerRemove, "rootfs");
  SILO_RETURN_IF_ERROR(Unmount(RootfsDir(id)));
  rootfs.Done(true);
  StepTimer files(Timing::kContainerRemove, "files");
  SILO_RETURN_IF_ERROR(trash_.Discard(BundleDir(id)));
  if (::unlink(socket.c_str()) != 0 && errno != ENOENT) return ErrnoToStatus(errno, absl::StrCat("unlink ", socket));
  files.Done(true);
  return absl::OkStatus();
}

}  // namespace silo::runtime::linux_backend
