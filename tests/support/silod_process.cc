#include "tests/support/silod_process.h"

#include <algorithm>

#include <sstream>

#include <fstream>

#include <sys/mount.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "tests/support/build_paths.h"

namespace silo::testing {
namespace {

// Waits for `pid` up to `timeout`; returns the decoded exit status or -1.
int WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

pid_t Spawn(const std::vector<std::string>& args, const std::string& output_file) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int fd = open(output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
  }
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  std::vector<char*> argv;
  std::string bin = SilodBinary();
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(bin.c_str(), argv.data());
  _exit(127);
}

size_t AppendBody(char* p, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}

}  // namespace

std::string SilodBinary() { return BuiltSilod(); }

TempDir::TempDir() {
  char tmpl[] = "/tmp/silo-it-XXXXXX";
  if (mkdtemp(tmpl)) path_ = tmpl;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  // A test that ended early can leave mounts below (pinned namespaces, a
  // pod's shm tmpfs, container rootfs): detach them, deepest first, so the
  // directory can go and nothing stays mounted.
  std::vector<std::string> mounts;
  std::ifstream info("/proc/self/mountinfo");
  std::string line;
  while (std::getline(info, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point.rfind(path_ + "/", 0) == 0) mounts.push_back(point);
  }
  std::sort(mounts.begin(), mounts.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

RunResult RunSilod(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  TempDir tmp;
  std::string out = tmp.path() + "/out";
  pid_t pid = Spawn(args, out);
  RunResult r;
  r.exit_code = WaitExit(pid, timeout);
  if (r.exit_code < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  auto text = ReadFile(out);
  if (text.ok()) r.output = *text;
  return r;
}

absl::StatusOr<std::unique_ptr<SilodProcess>> SilodProcess::Start(SilodOptions o) {
  std::unique_ptr<SilodProcess> p(new SilodProcess());
  p->root_ = o.dir + "/root";
  p->state_ = o.dir + "/state";
  p->cni_conf_dir_ = o.dir + "/cni";
  p->socket_path_ = o.socket_path.empty() ? p->state_ + "/silod.sock" : o.socket_path;
  p->config_path_ = o.dir + "/silod.yaml";
  p->log_path_ = o.dir + "/silod.out";
  p->metrics_port_ = o.metrics_port < 0 && o.config_file.empty() ? PickFreePort() : std::max(o.metrics_port, 0);
  if (absl::Status s = MakeDirs(p->cni_conf_dir_); !s.ok()) return s;

  std::string yaml = absl::StrCat("log: {level: debug}\n", "cni: {conf_dir: ", p->cni_conf_dir_, "}\n");
  if (p->metrics_port_ > 0) {
    absl::StrAppend(&yaml, "metrics: {address: \"127.0.0.1:", p->metrics_port_, "\"}\n");
  } else {
    absl::StrAppend(&yaml, "metrics: {enabled: false}\n");
  }
  absl::StrAppend(&yaml, o.extra_yaml);
  if (!o.config_file.empty()) {
    p->config_path_ = o.config_file;
  } else if (absl::Status s = AtomicWriteFile(p->config_path_, yaml); !s.ok()) {
    return s;
  }

  std::vector<std::string> args = {"--config", p->config_path_, "--root", p->root_,
                                   "--state", p->state_, "--listen", p->endpoint()};
  args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
  p->pid_ = Spawn(args, p->log_path_);
  p->channel_ = grpc::CreateChannel("unix:" + p->socket_path_, grpc::InsecureChannelCredentials());
  if (absl::Status s = p->WaitReady(std::chrono::seconds(30)); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(s.message(), "\nsilod output:\n", p->Output()));
  }
  return p;
}

absl::Status SilodProcess::WaitReady(std::chrono::seconds timeout) {
  auto deadline = std::chrono::system_clock::now() + timeout;
  // Wait for the socket before dialling: a failed first dial costs a 1 s
  // reconnect backoff in gRPC.
  while (std::chrono::system_clock::now() < deadline && !std::filesystem::exists(socket_path_)) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::FailedPreconditionError(absl::StrCat("silod exited during start-up (status ", status, ")"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto stub = RuntimeStub();
  while (std::chrono::system_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::FailedPreconditionError(absl::StrCat("silod exited during start-up (status ", status, ")"));
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    ctx.set_wait_for_ready(true);
    ::runtime::v1::VersionResponse resp;
    if (stub->Version(&ctx, {}, &resp).ok()) return absl::OkStatus();
  }
  return absl::DeadlineExceededError("silod did not answer Version in time");
}

int SilodProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int code = WaitExit(pid_, std::chrono::seconds(20));
  if (code < 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    code = 128 + SIGKILL;
  }
  pid_ = -1;
  return code;
}

SilodProcess::~SilodProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

std::string SilodProcess::Output() const {
  auto text = ReadFile(log_path_);
  return text.ok() ? *text : "";
}

std::unique_ptr<::runtime::v1::RuntimeService::Stub> SilodProcess::RuntimeStub() const {
  return ::runtime::v1::RuntimeService::NewStub(channel_);
}

std::unique_ptr<::runtime::v1::ImageService::Stub> SilodProcess::ImageStub() const {
  return ::runtime::v1::ImageService::NewStub(channel_);
}

absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  std::string body;
  CURL* c = curl_easy_init();
  std::string url = absl::StrCat("http://127.0.0.1:", port, path);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) return absl::UnavailableError(absl::StrCat("GET ", url, ": ", curl_easy_strerror(rc)));
  if (code != 200) return absl::UnavailableError(absl::StrCat("GET ", url, ": HTTP ", code));
  return body;
}

}  // namespace silo::testing
