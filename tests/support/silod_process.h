#pragma once
// Starts the real silod binary for integration tests: its own temp root,
// state dir, socket and metrics port, so tests never collide with each other
// or with a system daemon. Readiness is a successful Version call, not a sleep.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/api/cri_grpc.h"
#include "grpcpp/grpcpp.h"

namespace silo::testing {

// Signal numbers for Stop(), so tests need not pull in <signal.h> (see cri/api/cri.h).
inline constexpr int kSigKill = 9;
inline constexpr int kSigTerm = 15;

// A fresh directory under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int PickFreePort();

struct SilodOptions {
  std::string dir = {};         // base dir: root/, state/, cni/ and the config live here
  std::string extra_yaml = {};  // appended to the generated config
  std::vector<std::string> extra_args = {};
  std::string socket_path = {}; // default: <dir>/state/silod.sock
  int metrics_port = -1;        // -1: pick one; 0: metrics disabled
  // Non-empty: silod runs with this config file as it is (extra_yaml unused);
  // metrics_port must then say where its metrics listen (0: disabled).
  std::string config_file = {};
};

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

// Runs silod with `args` to completion (bounded by `timeout`).
RunResult RunSilod(const std::vector<std::string>& args,
                   std::chrono::seconds timeout = std::chrono::seconds(30));

class SilodProcess {
 public:
  static absl::StatusOr<std::unique_ptr<SilodProcess>> Start(SilodOptions options);
  ~SilodProcess();

  // Sends `signal` and waits for exit; returns the exit status (128+n if killed).
  int Stop(int signal = kSigTerm);

  const std::string& socket_path() const { return socket_path_; }
  std::string endpoint() const { return "unix://" + socket_path_; }
  const std::string& root() const { return root_; }
  const std::string& state() const { return state_; }
  const std::string& cni_conf_dir() const { return cni_conf_dir_; }
  const std::string& config_path() const { return config_path_; }
  int metrics_port() const { return metrics_port_; }
  pid_t pid() const { return pid_; }
  std::string Output() const;

  std::unique_ptr<::runtime::v1::RuntimeService::Stub> RuntimeStub() const;
  std::unique_ptr<::runtime::v1::ImageService::Stub> ImageStub() const;

 private:
  SilodProcess() = default;
  absl::Status WaitReady(std::chrono::seconds timeout);

  pid_t pid_ = -1;
  std::string socket_path_, root_, state_, cni_conf_dir_, config_path_, log_path_;
  int metrics_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

// Absolute path of the silod binary under test.
std::string SilodBinary();

// GET http://127.0.0.1:port/path; returns the body, or an error.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

}  // namespace silo::testing
