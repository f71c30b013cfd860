#include "image/registry/testing/local_registry.h"

#include <crypt.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "image/registry/curl_transport.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::image::registry::testing {
namespace {

absl::StatusOr<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return ErrnoToStatus(errno, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    return ErrnoToStatus(err, "bind 127.0.0.1:0");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

absl::StatusOr<std::string> Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof(salt)) == nullptr) {
    return ErrnoToStatus(errno, "crypt_gensalt_rn($2b$)");
  }
  crypt_data data{};
  const char* hash = crypt_r(password.c_str(), salt, &data);
  if (hash == nullptr || hash[0] == '*') return absl::InternalError("bcrypt via crypt_r failed");
  return std::string(hash);
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

}  // namespace

absl::Status RunCommand(const std::vector<std::string>& argv) {
  char tmpl[] = "/tmp/silo-cmd-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return ErrnoToStatus(errno, "mkstemp");
  close(fd);
  pid_t pid = Spawn(argv, tmpl);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return ErrnoToStatus(errno, "running " + argv[0]);
  std::string output = ReadFile(tmpl).value_or("");
  unlink(tmpl);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(absl::StrJoin(argv, " "), " failed: ", output));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LocalRegistry>> LocalRegistry::Start(LocalRegistryOptions options) {
  std::unique_ptr<LocalRegistry> r(new LocalRegistry());
  r->options_ = options;
  char tmpl[] = "/tmp/silo-registry-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return ErrnoToStatus(errno, "mkdtemp");
  r->dir_ = tmpl;
  if (options.port > 0) {
    r->port_ = options.port;
  } else {
    SILO_ASSIGN_OR_RETURN(r->port_, FreePort());
  }
  std::string config = absl::StrCat("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ",
                                    r->dir_, "/storage\n  delete:\n    enabled: true\nhttp:\n  addr: ", r->host(), "\n");
  if (!options.username.empty()) {
    SILO_ASSIGN_OR_RETURN(std::string hash, Bcrypt(options.password));
    SILO_RETURN_IF_ERROR(AtomicWriteFile(r->dir_ + "/htpasswd", absl::StrCat(options.username, ":", hash, "\n")));
    absl::StrAppend(&config, "auth:\n  htpasswd:\n    realm: silo-test\n    path: ", r->dir_, "/htpasswd\n");
  }
  SILO_RETURN_IF_ERROR(AtomicWriteFile(r->dir_ + "/config.yml", config));
  r->pid_ = Spawn({"docker-registry", "serve", r->dir_ + "/config.yml"}, r->dir_ + "/registry.log");
  if (r->pid_ < 0) return ErrnoToStatus(errno, "fork docker-registry");

  CurlTransportOptions probe_options;
  probe_options.connect_timeout = std::chrono::seconds(1);
  CurlTransport probe(probe_options);
  HttpRequest ping;
  ping.url = absl::StrCat("http://", r->host(), "/v2/");
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(r->pid_, &status, WNOHANG) == r->pid_) {
      r->pid_ = -1;
      return absl::InternalError(absl::StrCat("docker-registry exited: ",
                                              ReadFile(r->dir_ + "/registry.log").value_or("")));
    }
    auto resp = probe.Do(ping);
    if (resp.ok() && (resp->status == 200 || resp->status == 401)) return r;
    absl::SleepFor(absl::Milliseconds(50));  // polling readiness, not synchronising
  }
  return absl::DeadlineExceededError("docker-registry did not answer GET /v2/ within 30 s");
}

LocalRegistry::~LocalRegistry() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string LocalRegistry::host() const { return absl::StrCat("127.0.0.1:", port_); }

std::string LocalRegistry::BlobDataPath(const Digest& d) const {
  return absl::StrCat(dir_, "/storage/docker/registry/v2/blobs/", d.algorithm, "/", d.hex.substr(0, 2), "/", d.hex,
                      "/data");
}

absl::Status LocalRegistry::Push(const std::string& layout_dir, const std::string& tag, const std::string& name,
                                 bool all) {
  std::vector<std::string> argv = {"skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false"};
  if (all) argv.push_back("--all");
  if (!options_.username.empty()) argv.push_back(absl::StrCat("--dest-creds=", options_.username, ":", options_.password));
  argv.push_back(absl::StrCat("oci:", layout_dir, ":", tag));
  argv.push_back(absl::StrCat("docker://", host(), "/", name, ":", tag));
  return RunCommand(argv);
}

}  // namespace silo::image::registry::testing
