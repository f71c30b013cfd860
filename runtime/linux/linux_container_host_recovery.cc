// LinuxContainerHost's live-restore hooks: probing shims, reading their exit
// files, and finding and removing what no container owns.
#include <dirent.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/linux/linux_container_host.h"
#include "runtime/linux/runc.h"

namespace silo::runtime::linux_backend {
namespace {

// Live silo-shim processes serving a socket in `socket_dir`, by container id.
std::map<std::string, std::vector<pid_t>> FindShims(const std::string& socket_dir) {
  std::map<std::string, std::vector<pid_t>> shims;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return shims;
  while (struct dirent* e = ::readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid) || pid <= 0) continue;
    auto cmdline = ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
    if (!cmdline.ok() || cmdline->empty()) continue;
    std::vector<std::string> argv = absl::StrSplit(*cmdline, '\0');
    if (std::filesystem::path(argv[0]).filename() != "silo-shim") continue;
    std::string id, socket;
    for (size_t i = 1; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--id") id = argv[i + 1];
      if (argv[i] == "--socket") socket = argv[i + 1];
    }
    if (id.empty() || std::filesystem::path(socket).parent_path() != std::filesystem::path(socket_dir)) continue;
    // A zombie (not yet reaped by init) is already dead.
    auto stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    if (stat.ok()) {
      size_t paren = stat->rfind(')');
      if (paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z') continue;
    }
    shims[id].push_back(pid);
  }
  ::closedir(proc);
  return shims;
}

bool Dead(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  auto stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return true;
  size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z';
}

void AddEntries(const std::string& dir, bool sockets, std::set<std::string>* ids) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (sockets) {
      if (!absl::EndsWith(name, ".sock")) continue;
      name.resize(name.size() - 5);
    } else if (!entry.is_directory(ec)) {
      continue;
    }
    if (!name.empty() && name[0] != '.') ids->insert(name);
  }
}

}  // namespace

bool LinuxContainerHost::MonitorGone(const std::string& id, const std::string& handle) {
  const std::string socket = handle.empty() ? SocketPath(id) : handle;
  if (::access(socket.c_str(), F_OK) != 0) return errno == ENOENT;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.size() >= sizeof(addr.sun_path)) {
    ::close(fd);
    return false;
  }
  std::memcpy(addr.sun_path, socket.data(), socket.size());
  // Nobody listening on an AF_UNIX socket is ECONNREFUSED at once; a full
  // backlog (a busy shim) is EAGAIN, which is alive.
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = rc == 0 ? 0 : errno;
  ::close(fd);
  return err == ECONNREFUSED || err == ENOENT;
}

absl::StatusOr<std::optional<ProcessState>> LinuxContainerHost::RecordedExit(const std::string& id) {
  const std::string path = BundleDir(id) + "/exit";
  auto text = ReadFile(path);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status()) || ::access(path.c_str(), F_OK) != 0) return std::nullopt;
    return text.status();
  }
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("exit_code") || !doc["exit_code"].is_number_integer()) {
    return absl::DataLossError(absl::StrCat("container ", id, ": exit file ", path, " does not parse"));
  }
  ProcessState state;
  state.exited = true;
  state.exit_code = doc["exit_code"].get<int>();
  if (doc.contains("exited_at_unix_nanos") && doc["exited_at_unix_nanos"].is_number_integer()) {
    state.exited_at_ns = doc["exited_at_unix_nanos"].get<int64_t>();
  }
  return std::optional<ProcessState>(state);
}

absl::Status LinuxContainerHost::KillUnmonitored(const std::string& id) {
  // Deleting with force kills every process of the container (init was
  // reparented when the shim died) and drops runc's state; Remove later
  // finds nothing left to delete there.
  linux_backend::Runc runc(options_.runc_binary, options_.runc_root);
  return Annotate(runc.Delete(id, /*force=*/true), absl::StrCat("kill unmonitored container ", id));
}

absl::StatusOr<std::vector<std::string>> LinuxContainerHost::ListHostContainers() {
  // Recovery starts here: what an earlier silod discarded is deleted now.
  trash_.Sweep(options_.state_dir);
  trash_.Sweep(options_.root_dir);
  std::set<std::string> ids;
  AddEntries(options_.state_dir, false, &ids);
  AddEntries(options_.root_dir, false, &ids);
  AddEntries(options_.runc_root, false, &ids);
  AddEntries(options_.socket_dir, true, &ids);
  for (const auto& [id, pids] : FindShims(options_.socket_dir)) ids.insert(id);
  return std::vector<std::string>(ids.begin(), ids.end());
}

absl::Status LinuxContainerHost::RemoveOrphan(const std::string& id) {
  // No record wants its exit: kill the shim outright (it may not answer, or
  // its socket may be gone), then remove the rest as for any container.
  auto shims = FindShims(options_.socket_dir);
  std::vector<pid_t> pids = shims[id];
  for (pid_t pid : pids) ::kill(pid, SIGKILL);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (pid_t pid : pids) {
    while (!Dead(pid)) {
      if (std::chrono::steady_clock::now() > deadline) {
        return absl::DeadlineExceededError(absl::StrCat("orphaned shim ", pid, " of container ", id,
                                                        " survives SIGKILL"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // A dead shim's socket would only make Remove retry connecting.
  const std::string socket = SocketPath(id);
  if (::unlink(socket.c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("unlink ", socket));
  }
  return Remove(id, "");
}

}  // namespace silo::runtime::linux_backend
