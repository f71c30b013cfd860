#pragma once
// silod's configuration: a YAML file, then command-line overrides. Every key
// is known; an unknown key or a bad value fails start-up with the key's path
// (e.g. "log.levle: unknown key"), because a silently ignored typo on a node
// is worse than a daemon that refuses to start.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace silo::cri {

struct RuntimeHandlerConfig {
  std::string name;                    // the CRI runtime_handler value ("" = default)
#ifdef _WIN32
  std::string type = "process";        // windows: process, hostprocess
#else
  std::string type = "runc";           // linux: runc
#endif
  bool recursive_read_only_mounts = false;
  bool user_namespaces = false;
  // Type hypervisor: the utility VM's memory (MiB) and processors unless a
  // pod's annotations say otherwise; 0 = 1024 MiB, 2 processors.
  uint64_t uvm_memory_mb = 0;
  uint32_t uvm_processors = 0;
};

struct Config {
  std::string root = "/var/lib/silo";   // persistent: metadata.db, content/, layers/
  std::string state = "/run/silo";      // volatile: sockets, pinned namespaces
  std::string listen = "unix:///run/silo/silod.sock";

  struct Log {
    std::string level = "info";
    std::string format = "text";
    std::string file;                   // empty: stderr
    uint64_t max_size_mb = 100;
    int max_files = 5;
  } log;

  struct Cni {
    std::vector<std::string> bin_dirs = {"/usr/lib/cni", "/opt/cni/bin"};
    std::string conf_dir = "/etc/cni/net.d";
  } cni;

  struct Registry {
    // host -> endpoints tried in order before the host itself.
    std::map<std::string, std::vector<std::string>> mirrors;
    std::vector<std::string> insecure;  // hosts reached over plain http / unverified TLS
    std::string credentials_file;
    // A blob download moving less than 1 byte/s for this long fails the pull.
    int64_t stall_timeout_seconds = 60;
    // Per-download receive cap in bytes/s; 0 = unlimited.
    int64_t max_download_bytes_per_sec = 0;
  } registry;

  struct Streaming {
    std::string address = "127.0.0.1:0";  // port 0: a random free port
    std::string idle_timeout = "4h";      // absl duration; idle exec/attach/port-forward sessions close
    std::string token_ttl = "1m";         // absl duration; how long a returned streaming URL stays valid
    std::string tls_cert;
    std::string tls_key;
  } streaming;

  struct Metrics {
    bool enabled = true;
    std::string address = "127.0.0.1:9464";
  } metrics;

  struct Stats {
    std::string interval = "1s";  // absl duration (>= 10ms); how often running containers and pods are sampled
  } stats;

  struct Sandbox {
    // The image of a Windows pod's pause container. Linux pods have no pause
    // container, so the Linux default is empty (and the key unused there).
    std::string image;
    // What holds a Windows pod's network compartment open: "pause" (a pause
    // compute system from `image`, as containerd and hcsshim run) or "none",
    // an explicit opt-in to pauseless pods for Windows builds where the
    // compartment stays active without a running container (hcsshim's pod.go
    // documents the bug that makes the pause necessary).
    std::string holder = "pause";
  } sandbox;

  struct Runtime {
    std::string binary = "runc";         // OCI runtime on Linux (runc or crun)
    std::string cgroup_driver = "cgroupfs";
    std::string default_handler;         // handler used when runtime_handler is ""
    std::vector<RuntimeHandlerConfig> handlers = {RuntimeHandlerConfig{}};
  } runtime;
};

// The rules that differ between the platforms silod is built for: what an
// absolute path looks like. (Which runtime handler types exist is the handler
// registry's to say, when silod wires its handlers.)
enum class ConfigPlatform { kLinux, kWindows };
// The platform this silod was built for.
ConfigPlatform NativeConfigPlatform();

// Parses YAML text and validates it (ValidateConfig). Keys missing from the
// text keep their defaults.
absl::StatusOr<Config> ParseConfig(const std::string& yaml_text,
                                   ConfigPlatform platform = NativeConfigPlatform());

// Reads and parses a file; errors name the file.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

// Checks cross-field rules (endpoint schemes, absolute dirs, unique handlers)
// as `platform` has them: on Windows, paths are absolute with a drive letter
// (C:/x or C:\x, or \\?\ and UNC forms); on Linux, paths start with /.
absl::Status ValidateConfig(const Config& config, ConfigPlatform platform = NativeConfigPlatform());

// The full config as YAML, every key present; ParseConfig(ToYaml(c)) == c.
std::string ConfigToYaml(const Config& config);

}  // namespace silo::cri
